// Tensors on disk in NumPy's formats (.npy, and .npz archives of them), so that a
// Python user can open every weight file spikeforge reads or writes with numpy.load.
// A Tensor is a dtype, a C-order shape and little-endian bytes; readers convert to the
// element type they need with to<T>().
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace sf {

enum class DType { F32, F64, I8, U8, I16, U16, I32, U32, I64, U64, Bool };

// numpy's descr for a dtype, e.g. "<f4".
const char* npy_descr(DType t);
std::size_t dtype_size(DType t);

template <class T>
DType dtype_of();

struct Tensor {
    DType dtype = DType::F32;
    std::vector<int64_t> shape;
    std::vector<uint8_t> bytes;  // size() * dtype_size(dtype), C order, little-endian

    int64_t size() const;  // number of elements (1 for a scalar with empty shape)
    std::string shape_str() const;  // "[3, 4]"

    // Elements converted to T (any numeric dtype to any numeric T). A value T cannot hold
    // exactly (out of range, NaN or Inf or a fraction for an integer T) throws InputError
    // naming `where` and the element: nothing is wrapped, truncated or cast silently.
    template <class T>
    std::vector<T> to(const std::string& where = {}) const;

    // A tensor holding a copy of values with the given shape (product must match).
    template <class T>
    static Tensor from(const std::vector<T>& values, std::vector<int64_t> shape);
};

// Read one .npy file. Throws InputError naming the file on any malformed content; only
// regular files of at most kMaxTensorFileBytes (input_file.hpp) are read.
Tensor read_npy(const std::string& path);
// Parse an .npy or .npz image held in memory; `where` names it in errors.
Tensor parse_npy(const uint8_t* data, std::size_t n, const std::string& where);
std::map<std::string, Tensor> parse_npz(const uint8_t* data, std::size_t n,
                                        const std::string& where);
// Write one .npy file (format version 1.0) atomically: a temp name, then rename.
void write_npy(const std::string& path, const Tensor& t);

// Read every array of an .npz archive (stored or deflated members, through libzip). The
// arrays together may hold at most kMaxTensorFileBytes; a name twice is an error.
std::map<std::string, Tensor> read_npz(const std::string& path);
// Write an uncompressed .npz archive atomically, like numpy.savez.
void write_npz(const std::string& path, const std::map<std::string, Tensor>& arrays);

// Resolve a tensor reference "file.npy" or "file.npz:key" relative to base_dir.
Tensor load_tensor_ref(const std::string& base_dir, const std::string& ref);

}  // namespace sf
