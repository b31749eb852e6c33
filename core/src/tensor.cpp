// NumPy .npy / .npz reading and writing (see tensor.hpp). The formats are NumPy's
// "NEP 1" array file (magic, version, a Python-literal header dict, raw data) and ZIP
// archives of such files. The small .npy header parser is ours; ZIP archives are read and
// written by libzip (ZIP64, data descriptors, DEFLATE, CRC checks), with every size it
// reports bounded by the file's real size and kMaxTensorFileBytes before we allocate.
#include "sf/core/tensor.hpp"

#include <zip.h>

#include <atomic>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <type_traits>
#include <unistd.h>

#include "sf/core/error.hpp"
#include "sf/core/input_file.hpp"

namespace fs = std::filesystem;

namespace sf {

// ----------------------------------------------------------------------------- dtypes

const char* npy_descr(DType t) {
    switch (t) {
        case DType::F32: return "<f4";
        case DType::F64: return "<f8";
        case DType::I8: return "|i1";
        case DType::U8: return "|u1";
        case DType::I16: return "<i2";
        case DType::U16: return "<u2";
        case DType::I32: return "<i4";
        case DType::U32: return "<u4";
        case DType::I64: return "<i8";
        case DType::U64: return "<u8";
        case DType::Bool: return "|b1";
    }
    return "?";
}

std::size_t dtype_size(DType t) {
    switch (t) {
        case DType::I8: case DType::U8: case DType::Bool: return 1;
        case DType::I16: case DType::U16: return 2;
        case DType::F32: case DType::I32: case DType::U32: return 4;
        case DType::F64: case DType::I64: case DType::U64: return 8;
    }
    return 0;
}

template <class T>
DType dtype_of() {
    if constexpr (std::is_same_v<T, float>) return DType::F32;
    else if constexpr (std::is_same_v<T, double>) return DType::F64;
    else if constexpr (std::is_same_v<T, bool>) return DType::Bool;
    else if constexpr (std::is_same_v<T, int8_t>) return DType::I8;
    else if constexpr (std::is_same_v<T, uint8_t>) return DType::U8;
    else if constexpr (std::is_same_v<T, int16_t>) return DType::I16;
    else if constexpr (std::is_same_v<T, uint16_t>) return DType::U16;
    else if constexpr (std::is_same_v<T, int32_t>) return DType::I32;
    else if constexpr (std::is_same_v<T, uint32_t>) return DType::U32;
    else if constexpr (std::is_same_v<T, int64_t>) return DType::I64;
    else if constexpr (std::is_same_v<T, uint64_t>) return DType::U64;
    else static_assert(sizeof(T) == 0, "no DType for this type");
}

template DType dtype_of<float>();
template DType dtype_of<double>();
template DType dtype_of<bool>();
template DType dtype_of<int8_t>();
template DType dtype_of<uint8_t>();
template DType dtype_of<int16_t>();
template DType dtype_of<uint16_t>();
template DType dtype_of<int32_t>();
template DType dtype_of<uint32_t>();
template DType dtype_of<int64_t>();
template DType dtype_of<uint64_t>();

// ----------------------------------------------------------------------------- Tensor

int64_t Tensor::size() const {
    // An empty dimension makes the array empty whatever the others say (numpy allows
    // shape (huge, 0)), so look for one before multiplying.
    for (int64_t d : shape)
        if (d == 0) return 0;
    int64_t n = 1;
    for (int64_t d : shape) {
        if (__builtin_mul_overflow(n, d, &n))
            throw InputError("tensor of shape " + shape_str() + " has more elements than 2^63",
                             "", "check the array's shape");
    }
    return n;
}

std::string Tensor::shape_str() const {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) {
        if (i) s += ", ";
        s += std::to_string(shape[i]);
    }
    return s + "]";
}

namespace {

// Raw element i of a little-endian buffer, as S. The host is little-endian (x86, ARM
// Linux), so a memcpy is the decode.
std::string fmt_double(double v) {
    std::ostringstream o;
    o.precision(9);
    o << v;
    return o.str();
}

template <class S>
S load_le(const uint8_t* p, int64_t i) {
    S v;
    std::memcpy(&v, p + i * int64_t(sizeof(S)), sizeof(S));
    return v;
}

// Whether s converts to T exactly (no wrapping, truncation, NaN or overflow): a value that
// does not is an error, never a silent cast (a cast of an out-of-range float is undefined).
template <class T, class S>
bool fits(S s) {
    if constexpr (std::is_floating_point_v<T>) {
        if constexpr (std::is_floating_point_v<S> && sizeof(S) > sizeof(T))
            return !std::isfinite(s) || std::fabs(s) <= double(std::numeric_limits<T>::max());
        else
            return true;  // every integer and float of the same width is in a float's range
    } else if constexpr (std::is_floating_point_v<S>) {
        // [lo, hi) as powers of two, exact in double.
        const double lo = std::is_signed_v<T> ? -std::ldexp(1.0, std::numeric_limits<T>::digits) : 0.0;
        const double hi = std::ldexp(1.0, std::numeric_limits<T>::digits);
        return std::isfinite(s) && s == std::trunc(s) && double(s) >= lo && double(s) < hi;
    } else if constexpr (std::is_signed_v<S>) {
        if (s < 0) return std::is_signed_v<T> && int64_t(s) >= int64_t(std::numeric_limits<T>::min());
        return uint64_t(s) <= uint64_t(std::numeric_limits<T>::max());
    } else {
        return uint64_t(s) <= uint64_t(std::numeric_limits<T>::max());
    }
}

template <class T>
std::string range_of() {
    if constexpr (std::is_floating_point_v<T>)
        return fmt_double(-double(std::numeric_limits<T>::max())) + " .. " +
               fmt_double(double(std::numeric_limits<T>::max()));
    else
        return std::to_string(int64_t(std::numeric_limits<T>::min())) + " .. " +
               std::to_string(uint64_t(std::numeric_limits<T>::max()));
}

template <class T>
const char* type_name() {
    return npy_descr(dtype_of<T>());
}

template <class T, class S>
void convert_from(const Tensor& t, std::vector<T>& out, const std::string& where) {
    const int64_t n = t.size();
    const uint8_t* p = t.bytes.data();
    for (int64_t i = 0; i < n; ++i) {
        const S s = load_le<S>(p, i);
        if (!fits<T>(s)) {
            std::string value;
            if constexpr (std::is_floating_point_v<S>) value = fmt_double(double(s));
            else value = std::to_string(s);
            throw InputError(std::string("element ") + std::to_string(i) + " (" + value +
                                 ") of a " + npy_descr(t.dtype) + " array of shape " +
                                 t.shape_str() + " does not fit " + type_name<T>() +
                                 (std::is_floating_point_v<T> ? " (range " : " (whole numbers ") +
                                 range_of<T>() + ")",
                             where,
                             std::is_floating_point_v<T>
                                 ? "store values within that range"
                                 : "store the array as an integer dtype holding values in that "
                                   "range (no NaN, Inf or fractions)");
        }
        out[size_t(i)] = static_cast<T>(s);
    }
}

}  // namespace

template <class T>
std::vector<T> Tensor::to(const std::string& where) const {
    // A default-constructed tensor (no shape, no bytes) stands for "absent": no elements.
    if (shape.empty() && bytes.empty()) return {};
    const int64_t n = size();
    if (n < 0 || bytes.size() != size_t(n) * dtype_size(dtype)) {
        throw InputError("tensor of shape " + shape_str() + " and dtype " + npy_descr(dtype) +
                             " holds " + std::to_string(bytes.size()) + " bytes",
                         where, "the tensor was built inconsistently; rebuild it with Tensor::from");
    }
    std::vector<T> out(static_cast<size_t>(n));
    switch (dtype) {
        case DType::F32: convert_from<T, float>(*this, out, where); break;
        case DType::F64: convert_from<T, double>(*this, out, where); break;
        case DType::I8: convert_from<T, int8_t>(*this, out, where); break;
        case DType::U8: convert_from<T, uint8_t>(*this, out, where); break;
        case DType::Bool: convert_from<T, uint8_t>(*this, out, where); break;
        case DType::I16: convert_from<T, int16_t>(*this, out, where); break;
        case DType::U16: convert_from<T, uint16_t>(*this, out, where); break;
        case DType::I32: convert_from<T, int32_t>(*this, out, where); break;
        case DType::U32: convert_from<T, uint32_t>(*this, out, where); break;
        case DType::I64: convert_from<T, int64_t>(*this, out, where); break;
        case DType::U64: convert_from<T, uint64_t>(*this, out, where); break;
    }
    return out;
}

template <class T>
Tensor Tensor::from(const std::vector<T>& values, std::vector<int64_t> shape) {
    Tensor t;
    t.dtype = dtype_of<T>();
    t.shape = std::move(shape);
    for (int64_t d : t.shape) {
        if (d < 0) throw InputError("negative dimension in shape " + t.shape_str());
    }
    if (t.size() != int64_t(values.size())) {
        throw InputError("shape " + t.shape_str() + " holds " + std::to_string(t.size()) +
                         " elements but " + std::to_string(values.size()) + " values were given");
    }
    t.bytes.resize(values.size() * sizeof(T));
    if (!values.empty()) std::memcpy(t.bytes.data(), values.data(), t.bytes.size());
    return t;
}

#define SF_TENSOR_INSTANTIATE(T)                             \
    template std::vector<T> Tensor::to<T>(const std::string&) const;           \
    template Tensor Tensor::from<T>(const std::vector<T>&, std::vector<int64_t>);
SF_TENSOR_INSTANTIATE(float)
SF_TENSOR_INSTANTIATE(double)
SF_TENSOR_INSTANTIATE(int8_t)
SF_TENSOR_INSTANTIATE(uint8_t)
SF_TENSOR_INSTANTIATE(int16_t)
SF_TENSOR_INSTANTIATE(uint16_t)
SF_TENSOR_INSTANTIATE(int32_t)
SF_TENSOR_INSTANTIATE(uint32_t)
SF_TENSOR_INSTANTIATE(int64_t)
SF_TENSOR_INSTANTIATE(uint64_t)
#undef SF_TENSOR_INSTANTIATE

// ----------------------------------------------------------------------------- file helpers

namespace {

// Write bytes to path atomically: a unique temp name in the same directory (so the
// rename stays on one file system), then rename over the target.
void write_file_atomic(const std::string& path, const std::vector<uint8_t>& data) {
    static std::atomic<unsigned> counter{0};
    const std::string tmp = path + ".tmp." + std::to_string(::getpid()) + "." +
                            std::to_string(counter.fetch_add(1));
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) {
            throw InputError("cannot create file '" + tmp + "'", path,
                             "check that the directory exists and is writable");
        }
        out.write(reinterpret_cast<const char*>(data.data()), std::streamsize(data.size()));
        out.flush();
        if (!out) {
            out.close();
            std::error_code ec;
            fs::remove(tmp, ec);
            throw InputError("error while writing '" + tmp + "'", path, "check free disk space");
        }
    }
    std::error_code ec;
    fs::rename(tmp, path, ec);
    if (ec) {
        std::error_code ec2;
        fs::remove(tmp, ec2);
        throw InputError("cannot rename temporary file into place: " + ec.message(), path,
                         "check that the target directory is writable");
    }
}

// ----------------------------------------------------------------------------- .npy header

// A tiny reader for the Python-literal dict of an .npy header:
//   {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
class HeaderParser {
public:
    HeaderParser(const std::string& s, const std::string& where) : s_(s), where_(where) {}

    void parse(std::string& descr, bool& fortran, std::vector<int64_t>& shape) {
        bool have_descr = false, have_fortran = false, have_shape = false;
        expect('{');
        while (true) {
            skip_ws();
            if (peek() == '}') { ++i_; break; }
            const std::string key = parse_string();
            expect(':');
            if (key == "descr") {
                skip_ws();
                if (peek() != '\'' && peek() != '"') {
                    fail("structured dtypes (a list descr) are not supported",
                         "save a plain numeric array");
                }
                descr = parse_string();
                have_descr = true;
            } else if (key == "fortran_order") {
                fortran = parse_bool();
                have_fortran = true;
            } else if (key == "shape") {
                shape = parse_tuple();
                have_shape = true;
            } else {
                fail("unexpected key '" + key + "' in the .npy header", "");
            }
            skip_ws();
            if (peek() == ',') { ++i_; continue; }
            skip_ws();
            if (peek() == '}') { ++i_; break; }
            fail("malformed .npy header dict", "");
        }
        if (!have_descr || !have_fortran || !have_shape) {
            fail("the .npy header lacks 'descr', 'fortran_order' or 'shape'", "");
        }
    }

private:
    [[noreturn]] void fail(const std::string& what, const std::string& fix) {
        throw InputError(what + " (header: " + s_.substr(0, 120) + ")", where_,
                         fix.empty() ? "the file is corrupt; write it again with numpy.save" : fix);
    }
    char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
    void skip_ws() {
        while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
    }
    void expect(char c) {
        skip_ws();
        if (peek() != c) fail(std::string("malformed .npy header: expected '") + c + "'", "");
        ++i_;
    }
    std::string parse_string() {
        skip_ws();
        const char q = peek();
        if (q != '\'' && q != '"') fail("malformed .npy header: expected a quoted string", "");
        ++i_;
        const size_t end = s_.find(q, i_);
        if (end == std::string::npos) fail("malformed .npy header: unterminated string", "");
        std::string r = s_.substr(i_, end - i_);
        i_ = end + 1;
        return r;
    }
    bool parse_bool() {
        skip_ws();
        if (s_.compare(i_, 4, "True") == 0) { i_ += 4; return true; }
        if (s_.compare(i_, 5, "False") == 0) { i_ += 5; return false; }
        fail("malformed .npy header: fortran_order is not True or False", "");
    }
    std::vector<int64_t> parse_tuple() {
        std::vector<int64_t> dims;
        expect('(');
        while (true) {
            skip_ws();
            if (peek() == ')') { ++i_; break; }
            if (!std::isdigit(static_cast<unsigned char>(peek()))) {
                fail("malformed .npy header: shape holds a non-integer", "");
            }
            int64_t v = 0;
            while (std::isdigit(static_cast<unsigned char>(peek()))) {
                if (v > (std::numeric_limits<int64_t>::max() - 9) / 10) {
                    fail("shape dimension too large", "");
                }
                v = v * 10 + (s_[i_] - '0');
                ++i_;
            }
            if (peek() == 'L') ++i_;  // Python 2 longs
            dims.push_back(v);
            skip_ws();
            if (peek() == ',') { ++i_; continue; }
            skip_ws();
            if (peek() == ')') { ++i_; break; }
            fail("malformed .npy header: bad shape tuple", "");
        }
        return dims;
    }

    const std::string& s_;
    std::string where_;
    size_t i_ = 0;
};

DType parse_descr(const std::string& descr, const std::string& where) {
    if (descr.size() < 3) {
        throw InputError("unsupported dtype '" + descr + "'", where,
                         "save float32/float64/int/uint/bool arrays");
    }
    const char order = descr[0];
    const std::string kind = descr.substr(1);
    DType t;
    if (kind == "f4") t = DType::F32;
    else if (kind == "f8") t = DType::F64;
    else if (kind == "i1") t = DType::I8;
    else if (kind == "u1") t = DType::U8;
    else if (kind == "b1") t = DType::Bool;
    else if (kind == "i2") t = DType::I16;
    else if (kind == "u2") t = DType::U16;
    else if (kind == "i4") t = DType::I32;
    else if (kind == "u4") t = DType::U32;
    else if (kind == "i8") t = DType::I64;
    else if (kind == "u8") t = DType::U64;
    else {
        throw InputError("unsupported dtype '" + descr + "'", where,
                         "convert the array with .astype(np.float32) (or an integer type) "
                         "before saving");
    }
    if (order == '>' && dtype_size(t) > 1) {
        throw InputError("big-endian dtype '" + descr + "' is not supported", where,
                         "convert with arr.astype(arr.dtype.newbyteorder('<')) before saving");
    }
    if (order != '<' && order != '|' && order != '=' && order != '>') {
        throw InputError("malformed dtype '" + descr + "'", where, "");
    }
    return t;
}

// Parse an .npy image held in memory. `where` names the file (and npz member).
Tensor parse_npy_image(const uint8_t* p, size_t n, const std::string& where) {
    static const uint8_t magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
    if (n < 10 || std::memcmp(p, magic, 6) != 0) {
        throw InputError("not a NumPy .npy file (bad magic bytes or too short)", where,
                         "write the file with numpy.save");
    }
    const int major = p[6];
    size_t header_len = 0, offset = 0;
    if (major == 1) {
        header_len = size_t(p[8]) | (size_t(p[9]) << 8);
        offset = 10;
    } else if (major == 2 || major == 3) {
        if (n < 12) throw InputError("truncated .npy header", where, "");
        header_len = size_t(p[8]) | (size_t(p[9]) << 8) | (size_t(p[10]) << 16) |
                     (size_t(p[11]) << 24);
        offset = 12;
    } else {
        throw InputError("unsupported .npy format version " + std::to_string(major) + "." +
                             std::to_string(p[7]),
                         where, "write the file with numpy.save (format 1.0 or 2.0)");
    }
    if (header_len > n - offset) {
        throw InputError("truncated .npy file: header says " + std::to_string(header_len) +
                             " bytes but only " + std::to_string(n - offset) + " follow",
                         where, "the file is incomplete; write it again");
    }
    const std::string header(reinterpret_cast<const char*>(p + offset), header_len);
    std::string descr;
    bool fortran = false;
    Tensor t;
    HeaderParser(header, where).parse(descr, fortran, t.shape);
    t.dtype = parse_descr(descr, where);
    if (fortran) {
        throw InputError("Fortran-order arrays are not supported", where,
                         "save np.ascontiguousarray(arr) instead");
    }
    // Element count with overflow checks: a corrupt header must not make us allocate
    // absurd amounts. The non-empty dimensions are bounded even when another one is 0 (an
    // empty array), so that no product of dimensions overflows later (fuzzing found
    // shape (24787496, 401239443748, 0, 8)).
    uint64_t extent = 1;
    bool empty = false;
    for (int64_t d : t.shape) {
        if (d == 0) {
            empty = true;
        } else if (extent > (uint64_t(1) << 62) / uint64_t(d)) {
            throw InputError("shape " + t.shape_str() + " is too large (its dimensions multiply "
                             "to more than 2^62)", where, "check the array's shape");
        } else {
            extent *= uint64_t(d);
        }
    }
    const uint64_t count = empty ? 0 : extent;
    const size_t data_off = offset + header_len;
    const uint64_t want = count * dtype_size(t.dtype);
    const uint64_t have = n - data_off;
    if (count > (uint64_t(1) << 62) / 8 || want != have) {
        throw InputError("data size mismatch: shape " + t.shape_str() + " of " + descr +
                             " needs " + std::to_string(want) + " bytes, the file holds " +
                             std::to_string(have),
                         where,
                         want > have ? "the file is truncated; write it again"
                                     : "the file has trailing bytes; write it again");
    }
    t.bytes.assign(p + data_off, p + n);
    return t;
}

std::vector<uint8_t> encode_npy(const Tensor& t) {
    if (t.bytes.size() != size_t(t.size()) * dtype_size(t.dtype)) {
        throw InputError("tensor of shape " + t.shape_str() + " holds " +
                             std::to_string(t.bytes.size()) + " bytes, expected " +
                             std::to_string(size_t(t.size()) * dtype_size(t.dtype)),
                         "", "build tensors with Tensor::from");
    }
    std::string shape = "(";
    for (size_t i = 0; i < t.shape.size(); ++i) {
        shape += std::to_string(t.shape[i]);
        if (t.shape.size() == 1 || i + 1 < t.shape.size()) shape += ",";
        if (i + 1 < t.shape.size()) shape += " ";
    }
    shape += ")";
    std::string header = std::string("{'descr': '") + npy_descr(t.dtype) +
                         "', 'fortran_order': False, 'shape': " + shape + ", }";
    // numpy pads the header with spaces and a newline so the data starts on a 64-byte
    // boundary; we do the same so memory-mapping readers are happy.
    const bool v2 = header.size() + 11 > 65535;
    const size_t pre = v2 ? 12 : 10;
    size_t total = pre + header.size() + 1;
    const size_t pad = (64 - total % 64) % 64;
    header.append(pad, ' ');
    header.push_back('\n');
    // Sized once and filled with memcpy (GCC 12 warns falsely on vector::insert here).
    const size_t hl = header.size();
    std::vector<uint8_t> out(pre + hl + t.bytes.size());
    const uint8_t magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
    std::memcpy(out.data(), magic, 6);
    out[6] = v2 ? 2 : 1;
    out[7] = 0;
    for (size_t i = 0; i < (v2 ? 4u : 2u); ++i) out[8 + i] = uint8_t((hl >> (8 * i)) & 0xff);
    std::memcpy(out.data() + pre, header.data(), hl);
    if (!t.bytes.empty()) std::memcpy(out.data() + pre + hl, t.bytes.data(), t.bytes.size());
    return out;
}

// ----------------------------------------------------------------------------- ZIP

// An open libzip archive, discarded (never written back) when it goes out of scope.
struct ZipReader {
    zip_t* za = nullptr;
    ~ZipReader() {
        if (za) zip_discard(za);
    }
};

std::string zip_message(zip_error_t* e) {
    const std::string m = zip_error_strerror(e);
    zip_error_fini(e);
    return m;
}

// The largest size a DEFLATE stream of n bytes can inflate to: DEFLATE's best ratio is
// 1032:1 (a 258-byte match in at most 2 bits), plus a little slack for tiny members.
uint64_t max_inflated(uint64_t n) {
    return n > (uint64_t(1) << 50) ? ~uint64_t(0) : n * 1032 + 1024;
}

// The bytes of an empty ZIP archive (an end-of-central-directory record and nothing else),
// which numpy.savez writes for no arrays; libzip writes no file at all for it.
const uint8_t kEmptyZip[22] = {0x50, 0x4b, 0x05, 0x06};

std::vector<uint8_t> encode_npz(const std::map<std::string, Tensor>& arrays,
                                const std::string& path) {
    if (arrays.empty()) return std::vector<uint8_t>(kEmptyZip, kEmptyZip + sizeof kEmptyZip);
    if (arrays.size() > 0xFFFF) throw InputError("too many arrays for one archive", path, "");
    // Encode every member first: libzip reads the buffers only when the archive is closed.
    std::vector<std::pair<std::string, std::vector<uint8_t>>> bodies;
    for (const auto& [key, t] : arrays) {
        bodies.emplace_back(key + ".npy", encode_npy(t));
        if (bodies.back().second.size() >= 0xFFFFFFFFu)
            throw InputError("array '" + key + "' is too large for a non-ZIP64 archive", path,
                             "split the arrays over several files");
    }
    zip_error_t err;
    zip_error_init(&err);
    zip_source_t* out = zip_source_buffer_create(nullptr, 0, 0, &err);
    if (!out) throw InputError("cannot start the archive: " + zip_message(&err), path, "");
    zip_source_keep(out);  // survives zip_close, so its bytes can be read afterwards
    struct SourceFree {
        zip_source_t* s;
        ~SourceFree() { zip_source_free(s); }
    } free_out{out};
    zip_t* za = zip_open_from_source(out, ZIP_TRUNCATE, &err);
    if (!za) throw InputError("cannot start the archive: " + zip_message(&err), path, "");
    auto fail = [&](const std::string& what) {
        const std::string m = zip_strerror(za);
        zip_discard(za);
        return InputError(what + ": " + m, path, "");
    };
    // A fixed timestamp (1980-01-01 00:00) makes the output byte-for-byte reproducible.
    const zip_uint16_t dos_time = 0, dos_date = (0 << 9) | (1 << 5) | 1;
    for (const auto& [name, body] : bodies) {
        zip_source_t* s = zip_source_buffer(za, body.data(), body.size(), 0);
        if (!s) throw fail("cannot add '" + name + "' to the archive");
        const zip_int64_t idx = zip_file_add(za, name.c_str(), s, ZIP_FL_ENC_UTF_8);
        if (idx < 0) {
            zip_source_free(s);
            throw fail("cannot add '" + name + "' to the archive");
        }
        if (zip_set_file_compression(za, zip_uint64_t(idx), ZIP_CM_STORE, 0) != 0 ||
            zip_file_set_dostime(za, zip_uint64_t(idx), dos_time, dos_date, 0) != 0)
            throw fail("cannot set up '" + name + "' in the archive");
    }
    if (zip_close(za) != 0) throw fail("cannot write the archive");
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_source_stat(out, &st) != 0 || !(st.valid & ZIP_STAT_SIZE) || zip_source_open(out) != 0)
        throw InputError("cannot read back the archive built in memory", path, "");
    std::vector<uint8_t> bytes(size_t(st.size));
    const zip_int64_t got = zip_source_read(out, bytes.data(), bytes.size());
    zip_source_close(out);
    if (got < 0 || uint64_t(got) != st.size)
        throw InputError("cannot read back the archive built in memory", path, "");
    return bytes;
}

}  // namespace

// ----------------------------------------------------------------------------- public API

Tensor parse_npy(const uint8_t* data, size_t n, const std::string& where) {
    return parse_npy_image(data, n, where);
}

std::map<std::string, Tensor> parse_npz(const uint8_t* p, size_t n, const std::string& path) {
    auto corrupt = [&](const std::string& what) {
        return InputError(what, path, "the archive is damaged or not an .npz; write it again "
                                      "with numpy.savez");
    };
    if (n < 22) throw corrupt("not a ZIP/.npz archive (too short)");
    zip_error_t err;
    zip_error_init(&err);
    zip_source_t* src = zip_source_buffer_create(p, n, 0, &err);
    if (!src) throw corrupt("cannot read the archive: " + zip_message(&err));
    ZipReader r;
    // ZIP_CHECKCONS: the local headers must agree with the central directory.
    r.za = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &err);
    if (!r.za) {
        zip_source_free(src);
        // libzip refuses an archive whose central directory names one member twice.
        if (zip_error_code_zip(&err) == ZIP_ER_EXISTS)
            throw InputError("an array name appears twice in the archive", path,
                             "write the archive again with each array saved once (numpy.savez)");
        throw corrupt("not a valid ZIP/.npz archive (" + zip_message(&err) + ")");
    }
    const zip_int64_t entries = zip_get_num_entries(r.za, 0);
    if (entries < 0) throw corrupt("cannot list the archive's members");
    std::map<std::string, Tensor> out;
    uint64_t total = 0;  // bytes inflated so far, all members together
    for (zip_int64_t e = 0; e < entries; ++e) {
        zip_stat_t st;
        zip_stat_init(&st);
        if (zip_stat_index(r.za, zip_uint64_t(e), 0, &st) != 0 || !(st.valid & ZIP_STAT_NAME) ||
            !(st.valid & ZIP_STAT_SIZE) || !(st.valid & ZIP_STAT_COMP_SIZE) ||
            !(st.valid & ZIP_STAT_COMP_METHOD))
            throw corrupt("bad central directory entry " + std::to_string(e) + ": " +
                          zip_strerror(r.za));
        const std::string name = st.name;
        const std::string where = path + ":" + name;
        if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE)
            throw InputError("encrypted archive member", where, "save without encryption");
        if (st.comp_method != ZIP_CM_STORE && st.comp_method != ZIP_CM_DEFLATE)
            throw InputError("unsupported ZIP compression method " +
                                 std::to_string(st.comp_method),
                             where, "use numpy.savez or numpy.savez_compressed");
        // Every claimed size is checked against what the file can hold before anything is
        // allocated: a header may claim terabytes.
        if (st.comp_size > n)
            throw InputError("archive member claims " + std::to_string(st.comp_size) +
                                 " compressed bytes but the archive holds " + std::to_string(n),
                             where, "the archive is incomplete; write it again with numpy.savez");
        if (st.comp_method == ZIP_CM_STORE ? st.size != st.comp_size
                                           : st.size > max_inflated(st.comp_size))
            throw corrupt("archive member '" + name + "' claims " + std::to_string(st.size) +
                          " bytes from " + std::to_string(st.comp_size) + " stored bytes");
        if (st.size > kMaxTensorFileBytes - total)
            throw InputError("the archive's arrays hold more than " +
                                 format_bytes(kMaxTensorFileBytes),
                             where, "split the arrays over several files");
        zip_file_t* zf = zip_fopen_index(r.za, zip_uint64_t(e), 0);
        if (!zf) throw corrupt("cannot open member '" + name + "': " + zip_strerror(r.za));
        // Read in chunks, so memory follows the data actually inflated, not the claim.
        std::vector<uint8_t> member;
        member.reserve(size_t(std::min<uint64_t>(st.size, uint64_t(1) << 20)));
        uint8_t chunk[1 << 16];
        std::string error;
        while (true) {
            const zip_int64_t got = zip_fread(zf, chunk, sizeof chunk);
            if (got < 0) {
                error = zip_file_strerror(zf);
                break;
            }
            if (got == 0) break;
            if (uint64_t(got) > st.size - member.size()) {
                error = "more data than the directory says";
                break;
            }
            member.insert(member.end(), chunk, chunk + got);
        }
        zip_fclose(zf);
        if (error.empty() && member.size() != st.size) error = "less data than the directory says";
        if (!error.empty())
            throw InputError("corrupt archive member (" + error + ")", where,
                             "the archive is damaged; write it again with numpy.savez");
        total += member.size();
        std::string key = name;
        if (key.size() > 4 && key.compare(key.size() - 4, 4, ".npy") == 0) key.resize(key.size() - 4);
        if (out.count(key))
            throw InputError("array '" + key + "' appears twice in the archive", where,
                             "write the archive again with one array per name");
        out[key] = parse_npy_image(member.data(), member.size(), where);
    }
    return out;
}

Tensor read_npy(const std::string& path) {
    const auto data = read_input_file(path, ".npy file", kMaxTensorFileBytes);
    return parse_npy_image(data.data(), data.size(), path);
}

void write_npy(const std::string& path, const Tensor& t) {
    write_file_atomic(path, encode_npy(t));
}

std::map<std::string, Tensor> read_npz(const std::string& path) {
    const auto data = read_input_file(path, ".npz file", kMaxTensorFileBytes);
    return parse_npz(data.data(), data.size(), path);
}

void write_npz(const std::string& path, const std::map<std::string, Tensor>& arrays) {
    write_file_atomic(path, encode_npz(arrays, path));
}

Tensor load_tensor_ref(const std::string& base_dir, const std::string& ref) {
    if (ref.empty()) {
        throw InputError("empty tensor reference", "",
                         "write \"file.npy\" or \"file.npz:key\"");
    }
    std::string file = ref, key;
    // Split "file.npz:key" at the last ':' only when what precedes it is an .npz, so
    // paths containing ':' elsewhere still work.
    const size_t colon = ref.rfind(':');
    if (colon != std::string::npos) {
        const std::string head = ref.substr(0, colon);
        if (head.size() > 4 && head.compare(head.size() - 4, 4, ".npz") == 0) {
            file = head;
            key = ref.substr(colon + 1);
        }
    }
    fs::path fp(file);
    if (fp.is_relative() && !base_dir.empty()) fp = fs::path(base_dir) / fp;
    const std::string full = fp.lexically_normal().string();
    const bool is_npz = full.size() > 4 && full.compare(full.size() - 4, 4, ".npz") == 0;
    if (is_npz) {
        if (key.empty()) {
            throw InputError("tensor reference '" + ref + "' names an .npz without a key", full,
                             "write \"" + file + ":<array name>\"");
        }
        auto arrays = read_npz(full);
        auto it = arrays.find(key);
        if (it == arrays.end()) {
            std::string keys;
            for (const auto& kv : arrays) keys += (keys.empty() ? "" : ", ") + kv.first;
            throw InputError("array '" + key + "' not found in archive", full,
                             "available arrays: " + (keys.empty() ? std::string("(none)") : keys));
        }
        return std::move(it->second);
    }
    return read_npy(full);
}

}  // namespace sf
