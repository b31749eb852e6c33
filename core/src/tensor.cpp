// NumPy .npy / .npz reading and writing (see tensor.hpp). The formats are NumPy's
// "NEP 1" array file (magic, version, a Python-literal header dict, raw data) and ZIP
// archives of such files. We parse the ZIP central directory (it holds the definitive
// sizes, also when members were streamed with data descriptors or as ZIP64 by
// numpy.savez) and then each member's local header to find its data.
#include "sf/core/tensor.hpp"

#include <zlib.h>

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
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
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
template <class S>
S load_le(const uint8_t* p, int64_t i) {
    S v;
    std::memcpy(&v, p + i * int64_t(sizeof(S)), sizeof(S));
    return v;
}

template <class T, class S>
void convert_from(const Tensor& t, std::vector<T>& out) {
    const int64_t n = t.size();
    const uint8_t* p = t.bytes.data();
    for (int64_t i = 0; i < n; ++i) out[size_t(i)] = static_cast<T>(load_le<S>(p, i));
}

}  // namespace

template <class T>
std::vector<T> Tensor::to() const {
    // A default-constructed tensor (no shape, no bytes) stands for "absent": no elements.
    if (shape.empty() && bytes.empty()) return {};
    const int64_t n = size();
    if (n < 0 || bytes.size() != size_t(n) * dtype_size(dtype)) {
        throw InputError("tensor of shape " + shape_str() + " and dtype " + npy_descr(dtype) +
                             " holds " + std::to_string(bytes.size()) + " bytes",
                         "", "the tensor was built inconsistently; rebuild it with Tensor::from");
    }
    std::vector<T> out(static_cast<size_t>(n));
    switch (dtype) {
        case DType::F32: convert_from<T, float>(*this, out); break;
        case DType::F64: convert_from<T, double>(*this, out); break;
        case DType::I8: convert_from<T, int8_t>(*this, out); break;
        case DType::U8: convert_from<T, uint8_t>(*this, out); break;
        case DType::Bool: convert_from<T, uint8_t>(*this, out); break;
        case DType::I16: convert_from<T, int16_t>(*this, out); break;
        case DType::U16: convert_from<T, uint16_t>(*this, out); break;
        case DType::I32: convert_from<T, int32_t>(*this, out); break;
        case DType::U32: convert_from<T, uint32_t>(*this, out); break;
        case DType::I64: convert_from<T, int64_t>(*this, out); break;
        case DType::U64: convert_from<T, uint64_t>(*this, out); break;
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
    template std::vector<T> Tensor::to<T>() const;           \
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

std::vector<uint8_t> read_file_bytes(const std::string& path, const char* what) {
    std::error_code ec;
    if (!fs::exists(path, ec)) {
        throw InputError(std::string(what) + " not found (tried '" + path + "')", path,
                         "check the path; relative paths are taken from the network directory");
    }
    if (fs::is_directory(path, ec)) {
        throw InputError(std::string("expected a ") + what + " but found a directory", path,
                         "give the path of the file itself");
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InputError(std::string("cannot open ") + what, path, "check file permissions");
    std::vector<uint8_t> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) throw InputError(std::string("error while reading ") + what, path, "");
    return data;
}

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
Tensor parse_npy(const uint8_t* p, size_t n, const std::string& where) {
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
    // absurd amounts.
    uint64_t count = 1;
    for (int64_t d : t.shape) {
        if (d != 0 && count > std::numeric_limits<uint64_t>::max() / uint64_t(d)) {
            throw InputError("shape " + t.shape_str() + " is too large", where, "");
        }
        count *= uint64_t(d);
    }
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

uint16_t rd16(const uint8_t* p) { return uint16_t(p[0] | (p[1] << 8)); }
uint32_t rd32(const uint8_t* p) {
    return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24);
}
uint64_t rd64(const uint8_t* p) { return uint64_t(rd32(p)) | (uint64_t(rd32(p + 4)) << 32); }

void wr16(std::vector<uint8_t>& o, uint32_t v) {
    o.push_back(uint8_t(v & 0xff));
    o.push_back(uint8_t((v >> 8) & 0xff));
}
void wr32(std::vector<uint8_t>& o, uint32_t v) {
    wr16(o, v & 0xffff);
    wr16(o, v >> 16);
}

std::vector<uint8_t> inflate_raw(const uint8_t* src, size_t n, uint64_t expected,
                                 const std::string& where) {
    if (expected > (uint64_t(1) << 40)) {
        throw InputError("archive member claims an implausible size", where, "");
    }
    std::vector<uint8_t> out(static_cast<size_t>(expected));
    z_stream zs{};
    if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) {
        throw InputError("zlib initialisation failed", where, "");
    }
    zs.next_in = const_cast<Bytef*>(src);
    zs.avail_in = uInt(n);
    zs.next_out = out.data();
    zs.avail_out = uInt(out.size());
    const int rc = inflate(&zs, Z_FINISH);
    const uint64_t produced = zs.total_out;
    inflateEnd(&zs);
    if (rc != Z_STREAM_END || produced != expected) {
        throw InputError("corrupt deflate data in archive member", where,
                         "the archive is damaged; write it again with numpy.savez");
    }
    return out;
}

}  // namespace

// ----------------------------------------------------------------------------- public API

Tensor read_npy(const std::string& path) {
    const auto data = read_file_bytes(path, ".npy file");
    return parse_npy(data.data(), data.size(), path);
}

void write_npy(const std::string& path, const Tensor& t) {
    write_file_atomic(path, encode_npy(t));
}

std::map<std::string, Tensor> read_npz(const std::string& path) {
    const auto data = read_file_bytes(path, ".npz file");
    const uint8_t* p = data.data();
    const size_t n = data.size();
    auto corrupt = [&](const std::string& what) {
        return InputError(what, path, "the archive is damaged or not an .npz; write it again "
                                      "with numpy.savez");
    };
    // The end-of-central-directory record sits in the last 22 + 65535 bytes.
    if (n < 22) throw corrupt("not a ZIP/.npz archive (too short)");
    size_t eocd = std::string::npos;
    const size_t lo = n > 22 + 65535 ? n - 22 - 65535 : 0;
    for (size_t i = n - 22 + 1; i-- > lo;) {
        if (rd32(p + i) == 0x06054b50) { eocd = i; break; }
    }
    if (eocd == std::string::npos) throw corrupt("not a ZIP/.npz archive (no end record)");
    uint64_t entries = rd16(p + eocd + 10);
    uint64_t cd_size = rd32(p + eocd + 12);
    uint64_t cd_off = rd32(p + eocd + 16);
    // ZIP64: the classic record holds 0xFFFF.. and a locator precedes it.
    if (eocd >= 20 && rd32(p + eocd - 20) == 0x07064b50) {
        const uint64_t z64 = rd64(p + eocd - 20 + 8);
        if (z64 + 56 > n || rd32(p + z64) != 0x06064b50) throw corrupt("bad ZIP64 end record");
        entries = rd64(p + z64 + 32);
        cd_size = rd64(p + z64 + 40);
        cd_off = rd64(p + z64 + 48);
    }
    if (cd_off > n || cd_size > n - cd_off) throw corrupt("central directory out of range");

    std::map<std::string, Tensor> out;
    size_t q = size_t(cd_off);
    const size_t cd_end = size_t(cd_off + cd_size);
    for (uint64_t e = 0; e < entries; ++e) {
        if (q + 46 > cd_end || rd32(p + q) != 0x02014b50) throw corrupt("bad central directory entry");
        const uint16_t flags = rd16(p + q + 8);
        const uint16_t method = rd16(p + q + 10);
        const uint32_t crc = rd32(p + q + 16);
        uint64_t csize = rd32(p + q + 20);
        uint64_t usize = rd32(p + q + 24);
        const uint16_t nlen = rd16(p + q + 28), xlen = rd16(p + q + 30), clen = rd16(p + q + 32);
        uint64_t lh_off = rd32(p + q + 42);
        if (q + 46 + size_t(nlen) + xlen + clen > cd_end) throw corrupt("bad central directory entry");
        std::string name(reinterpret_cast<const char*>(p + q + 46), nlen);
        // ZIP64 extra field: the 64-bit values appear in order for fields saturated at 0xFFFFFFFF.
        size_t x = q + 46 + nlen;
        const size_t xend = x + xlen;
        while (x + 4 <= xend) {
            const uint16_t id = rd16(p + x), sz = rd16(p + x + 2);
            if (x + 4 + sz > xend) break;
            if (id == 0x0001) {
                size_t f = x + 4;
                const size_t fend = f + sz;
                if (usize == 0xFFFFFFFFu && f + 8 <= fend) { usize = rd64(p + f); f += 8; }
                if (csize == 0xFFFFFFFFu && f + 8 <= fend) { csize = rd64(p + f); f += 8; }
                if (lh_off == 0xFFFFFFFFu && f + 8 <= fend) { lh_off = rd64(p + f); f += 8; }
            }
            x += 4 + sz;
        }
        q += 46 + size_t(nlen) + xlen + clen;

        const std::string where = path + ":" + name;
        if (flags & 1) throw InputError("encrypted archive member", where, "save without encryption");
        if (lh_off + 30 > n || rd32(p + lh_off) != 0x04034b50) throw corrupt("bad local header for '" + name + "'");
        const size_t data_off = size_t(lh_off) + 30 + rd16(p + lh_off + 26) + rd16(p + lh_off + 28);
        if (data_off > n || csize > n - data_off) {
            throw InputError("archive member data is truncated", where,
                             "the archive is incomplete; write it again with numpy.savez");
        }
        std::vector<uint8_t> member;
        if (method == 0) {
            if (csize != usize) throw corrupt("stored member '" + name + "' has inconsistent sizes");
            member.assign(p + data_off, p + data_off + csize);
        } else if (method == 8) {
            member = inflate_raw(p + data_off, size_t(csize), usize, where);
        } else {
            throw InputError("unsupported ZIP compression method " + std::to_string(method), where,
                             "use numpy.savez or numpy.savez_compressed");
        }
        const uint32_t actual = uint32_t(crc32(0L, member.data(), uInt(member.size())));
        if (actual != crc) {
            throw InputError("CRC mismatch in archive member", where,
                             "the archive is damaged; write it again");
        }
        std::string key = name;
        if (key.size() > 4 && key.compare(key.size() - 4, 4, ".npy") == 0) key.resize(key.size() - 4);
        out[key] = parse_npy(member.data(), member.size(), where);
    }
    return out;
}

void write_npz(const std::string& path, const std::map<std::string, Tensor>& arrays) {
    std::vector<uint8_t> zip, cd;
    // A fixed timestamp (1980-01-01 00:00) makes the output byte-for-byte reproducible.
    const uint16_t dos_time = 0, dos_date = (0 << 9) | (1 << 5) | 1;
    for (const auto& [key, t] : arrays) {
        const std::vector<uint8_t> body = encode_npy(t);
        const std::string name = key + ".npy";
        if (body.size() >= 0xFFFFFFFFu || zip.size() >= 0xFFFFFFFFu) {
            throw InputError("array '" + key + "' is too large for a non-ZIP64 archive", path,
                             "split the arrays over several files");
        }
        const uint32_t crc = uint32_t(crc32(0L, body.data(), uInt(body.size())));
        const uint32_t off = uint32_t(zip.size());
        wr32(zip, 0x04034b50);
        wr16(zip, 20);  // version needed
        wr16(zip, 0);   // flags
        wr16(zip, 0);   // STORED
        wr16(zip, dos_time);
        wr16(zip, dos_date);
        wr32(zip, crc);
        wr32(zip, uint32_t(body.size()));
        wr32(zip, uint32_t(body.size()));
        wr16(zip, uint32_t(name.size()));
        wr16(zip, 0);
        zip.insert(zip.end(), name.begin(), name.end());
        zip.insert(zip.end(), body.begin(), body.end());

        wr32(cd, 0x02014b50);
        wr16(cd, 20);   // made by
        wr16(cd, 20);   // needed
        wr16(cd, 0);
        wr16(cd, 0);
        wr16(cd, dos_time);
        wr16(cd, dos_date);
        wr32(cd, crc);
        wr32(cd, uint32_t(body.size()));
        wr32(cd, uint32_t(body.size()));
        wr16(cd, uint32_t(name.size()));
        wr16(cd, 0);  // extra
        wr16(cd, 0);  // comment
        wr16(cd, 0);  // disk
        wr16(cd, 0);  // internal attributes
        wr32(cd, 0);  // external attributes
        wr32(cd, off);
        cd.insert(cd.end(), name.begin(), name.end());
    }
    if (arrays.size() > 0xFFFF) throw InputError("too many arrays for one archive", path, "");
    const uint32_t cd_off = uint32_t(zip.size());
    zip.insert(zip.end(), cd.begin(), cd.end());
    wr32(zip, 0x06054b50);
    wr16(zip, 0);
    wr16(zip, 0);
    wr16(zip, uint32_t(arrays.size()));
    wr16(zip, uint32_t(arrays.size()));
    wr32(zip, uint32_t(cd.size()));
    wr32(zip, cd_off);
    wr16(zip, 0);
    write_file_atomic(path, zip);
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
