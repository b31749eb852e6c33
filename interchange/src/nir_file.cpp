// Reading and writing NIR's HDF5 layout with the HDF5 C++ library. Every HDF5 failure
// is caught here and turned into one InputError naming the file and the HDF5 path.
#include "sf/nir/nir_file.hpp"

#include <H5Cpp.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <functional>

#include "sf/core/error.hpp"

namespace sf::nir {

namespace fs = std::filesystem;

namespace {

// Datasets larger than this are refused: no NIR parameter of a network that fits a chip
// comes close, and a corrupt shape must not exhaust memory.
constexpr int64_t kMaxElements = int64_t(1) << 27;
constexpr int kMaxDepth = 32;
constexpr int kMaxRank = 8;

[[noreturn]] void bad(const std::string& file, const std::string& where, const std::string& what,
                      const std::string& fix) {
    throw InputError(what, at_file(file, 0, where), fix);
}

std::string h5_message(const H5::Exception& e) {
    std::string m = e.getDetailMsg();
    return m.empty() ? std::string("HDF5 error") : m;
}

struct Reader {
    std::string file;
    int nodes_read = 0;

    Array read_dataset(const H5::DataSet& ds, const std::string& where) {
        Array a;
        H5::DataSpace sp = ds.getSpace();
        const H5S_class_t sc = sp.getSimpleExtentType();
        if (sc == H5S_NULL)
            bad(file, where, "the dataset is empty (an HDF5 null dataspace)",
                "write the field as an array (numpy) or a string");
        const int rank = sp.getSimpleExtentNdims();
        if (rank < 0 || rank > kMaxRank)
            bad(file, where, "the dataset has rank " + std::to_string(rank),
                "NIR fields have at most " + std::to_string(kMaxRank) + " dimensions");
        std::vector<hsize_t> dims{};
        dims.resize(static_cast<std::size_t>(rank));
        if (rank > 0) sp.getSimpleExtentDims(dims.data());
        int64_t n = 1;
        for (hsize_t d : dims) {
            if (d > hsize_t(kMaxElements) || (n *= int64_t(d)) > kMaxElements)
                bad(file, where, "the dataset is too large",
                    "NIR fields of a network are far smaller");
            a.shape.push_back(int64_t(d));
        }
        const H5T_class_t tc = ds.getTypeClass();
        if (tc == H5T_STRING) {
            a.is_string = true;
            H5::StrType st = ds.getStrType();
            if (st.isVariableStr()) {
                std::vector<char*> buf(std::size_t(n), nullptr);
                if (n > 0) ds.read(buf.data(), st);
                for (char* p : buf) a.strings.emplace_back(p ? p : "");
                if (n > 0) H5Dvlen_reclaim(st.getId(), sp.getId(), H5P_DEFAULT, buf.data());
            } else {
                const std::size_t len = st.getSize();
                std::vector<char> buf(std::size_t(n) * len + 1, '\0');
                if (n > 0) ds.read(buf.data(), st);
                for (int64_t i = 0; i < n; ++i) {
                    std::string s(buf.data() + std::size_t(i) * len, len);
                    s.erase(std::find(s.begin(), s.end(), '\0'), s.end());
                    a.strings.push_back(s);
                }
            }
        } else if (tc == H5T_INTEGER || tc == H5T_FLOAT) {
            a.data.resize(static_cast<std::size_t>(n));
            if (n > 0) ds.read(a.data.data(), H5::PredType::NATIVE_DOUBLE);
        } else if (tc == H5T_ENUM) {
            // h5py stores numpy bools as an enum over int8.
            std::vector<int8_t> buf{};
            buf.resize(static_cast<std::size_t>(n));
            if (n > 0) ds.read(buf.data(), H5::PredType::NATIVE_INT8);
            a.data.assign(buf.begin(), buf.end());
        } else {
            bad(file, where, "the dataset's type is neither a number nor a string",
                "write NIR fields as numeric arrays or strings");
        }
        return a;
    }

    std::map<std::string, Array> read_plain_group(const H5::Group& g, const std::string& where,
                                                  int depth) {
        std::map<std::string, Array> out;
        const hsize_t n = g.getNumObjs();
        for (hsize_t i = 0; i < n; ++i) {
            const std::string name = g.getObjnameByIdx(i);
            const std::string w = where + "/" + name;
            const H5G_obj_t t = g.getObjTypeByIdx(i);
            if (t == H5G_DATASET) {
                out[name] = read_dataset(g.openDataSet(name), w);
            } else if (t == H5G_GROUP && depth < 4) {
                // Nested metadata dictionaries: flattened with '/' in the key.
                for (auto& [k, v] : read_plain_group(g.openGroup(name), w, depth + 1))
                    out[name + "/" + k] = std::move(v);
            }
        }
        return out;
    }

    Node read_node(const H5::Group& g, const std::string& where, int depth) {
        if (depth > kMaxDepth)
            bad(file, where, "graphs are nested more than " + std::to_string(kMaxDepth) + " deep",
                "flatten the nested NIRGraph nodes");
        if (++nodes_read > 1000000)
            bad(file, where, "the file holds more than a million nodes", "check the file");
        Node node;
        node.where = where;
        if (!g.nameExists("type"))
            bad(file, where, "the node has no `type` dataset",
                "every NIR node group holds its type name as a string dataset `type`");
        if (g.childObjType("type") != H5O_TYPE_DATASET)
            bad(file, where, "`type` is not a dataset", "write the node type as a string dataset");
        Array type = read_dataset(g.openDataSet("type"), where + "/type");
        if (!type.is_string || type.size() != 1)
            bad(file, where, "`type` is not one string",
                "write the node type as a string, e.g. \"LIF\"");
        node.type = type.strings[0];

        const hsize_t n = g.getNumObjs();
        for (hsize_t i = 0; i < n; ++i) {
            const std::string name = g.getObjnameByIdx(i);
            const std::string w = where + "/" + name;
            const H5G_obj_t t = g.getObjTypeByIdx(i);
            if (name == "type") continue;
            if (node.type == "NIRGraph" && name == "nodes") {
                if (t != H5G_GROUP)
                    bad(file, w, "`nodes` is not a group", "write nodes as a group of node groups");
                H5::Group ng = g.openGroup(name);
                const hsize_t m = ng.getNumObjs();
                for (hsize_t j = 0; j < m; ++j) {
                    const std::string child = ng.getObjnameByIdx(j);
                    if (ng.getObjTypeByIdx(j) != H5G_GROUP)
                        bad(file, w + "/" + child, "node '" + child + "' is not a group",
                            "every entry of `nodes` is a node group with a `type`");
                    node.nodes.emplace_back(
                        child, read_node(ng.openGroup(child), w + "/" + child, depth + 1));
                }
                continue;
            }
            if (node.type == "NIRGraph" && name == "edges") {
                if (t != H5G_DATASET)
                    bad(file, w, "`edges` is not a dataset",
                        "write edges as an N×2 string dataset");
                Array e = read_dataset(g.openDataSet(name), w);
                if (e.size() == 0) continue;  // h5py writes an empty list as float64 [0]
                if (!e.is_string || e.shape.size() != 2 || e.shape[1] != 2)
                    bad(file, w,
                        "edges must be an N×2 array of node names, got " +
                            std::string(e.is_string ? "strings " : "numbers ") + e.shape_str(),
                        "write edges as a list of (source, target) name pairs");
                for (int64_t k = 0; k < e.shape[0]; ++k)
                    node.edges.emplace_back(e.strings[std::size_t(2 * k)],
                                            e.strings[std::size_t(2 * k + 1)]);
                continue;
            }
            if (t == H5G_DATASET) {
                node.fields[name] = read_dataset(g.openDataSet(name), w);
            } else if (t == H5G_GROUP) {
                node.groups[name] = read_plain_group(g.openGroup(name), w, 0);
            }
        }
        if (node.type == "NIRGraph" && !g.nameExists("nodes"))
            bad(file, where, "the NIRGraph has no `nodes` group",
                "a graph holds its nodes in `nodes`");
        if (node.type == "NIRGraph" && !g.nameExists("edges"))
            bad(file, where, "the NIRGraph has no `edges` dataset",
                "a graph lists its edges as an N×2 string dataset `edges`");
        return node;
    }
};

// Writes to a temporary sibling and renames it over `path` on commit; removes it otherwise.
class TempFile {
  public:
    explicit TempFile(const std::string& path) : target_(path) {
        static std::atomic<int> n{0};
        const fs::path p(path);
        if (p.filename().empty())
            throw InputError("output file '" + path + "' names a directory", path,
                             "give a file name");
        std::error_code ec;
        if (fs::is_directory(p, ec))
            throw InputError("output file '" + path + "' is a directory", path,
                             "remove it or choose another path");
        fs::path parent = p.parent_path();
        if (parent.empty()) parent = ".";
        if (!fs::is_directory(parent, ec))
            throw InputError("the directory of output file '" + path + "' does not exist", path,
                             "create " + parent.string() + " first");
        tmp_ = (parent / ("." + p.filename().string() + ".tmp." + std::to_string(::getpid()) + "." +
                          std::to_string(n++)))
                   .string();
    }
    ~TempFile() {
        if (!done_) {
            std::error_code ec;
            fs::remove(tmp_, ec);
        }
    }
    const std::string& path() const { return tmp_; }
    void commit() {
        std::error_code ec;
        fs::rename(tmp_, target_, ec);
        if (ec)
            throw InputError("cannot write '" + target_ + "': " + ec.message(), target_,
                             "check the directory's permissions and free space");
        done_ = true;
    }

  private:
    std::string target_, tmp_;
    bool done_ = false;
};

H5::StrType vlen_str() {
    H5::StrType st(H5::PredType::C_S1, H5T_VARIABLE);
    st.setCset(H5T_CSET_UTF8);
    return st;
}

H5::DataSpace space_of(const std::vector<int64_t>& shape) {
    if (shape.empty()) return H5::DataSpace(H5S_SCALAR);
    std::vector<hsize_t> d(shape.begin(), shape.end());
    return H5::DataSpace(int(d.size()), d.data());
}

void write_array(H5::Group& g, const std::string& name, const Array& a) {
    if (a.is_string) {
        H5::StrType st = vlen_str();
        std::vector<const char*> ptrs;
        for (const auto& s : a.strings) ptrs.push_back(s.c_str());
        H5::DataSet ds = g.createDataSet(name, st, space_of(a.shape));
        if (!ptrs.empty()) ds.write(ptrs.data(), st);
        return;
    }
    const H5::PredType& ft = a.i64   ? H5::PredType::STD_I64LE
                             : a.f32 ? H5::PredType::IEEE_F32LE
                                     : H5::PredType::IEEE_F64LE;
    H5::DataSet ds = g.createDataSet(name, ft, space_of(a.shape));
    if (!a.data.empty()) ds.write(a.data.data(), H5::PredType::NATIVE_DOUBLE);
}

void write_node(H5::Group& g, const Node& node) {
    write_array(g, "type", Array::text(node.type));
    for (const auto& [k, v] : node.fields) write_array(g, k, v);
    for (const auto& [gname, fields] : node.groups) {
        H5::Group sub = g.createGroup(gname);
        for (const auto& [k, v] : fields) write_array(sub, k, v);
    }
    if (node.type == "NIRGraph") {
        H5::Group ng = g.createGroup("nodes");
        for (const auto& [name, child] : node.nodes) {
            H5::Group cg = ng.createGroup(name);
            write_node(cg, child);
        }
        Array e;
        e.is_string = true;
        e.shape = {int64_t(node.edges.size()), 2};
        for (const auto& [a, b] : node.edges) {
            e.strings.push_back(a);
            e.strings.push_back(b);
        }
        write_array(g, "edges", e);
    }
}

void write_str_attr(H5::H5Object& obj, const std::string& name, const std::string& value) {
    H5::StrType st = vlen_str();
    H5::Attribute a = obj.createAttribute(name, st, H5::DataSpace(H5S_SCALAR));
    const char* p = value.c_str();
    a.write(st, &p);
}

std::string read_str_attr(const H5::H5Object& obj, const std::string& name) {
    H5::Attribute a = obj.openAttribute(name);
    H5::StrType st = a.getStrType();
    if (st.isVariableStr()) {
        char* p = nullptr;
        a.read(st, &p);
        std::string s = p ? p : "";
        free(p);
        return s;
    }
    std::string s(st.getSize(), '\0');
    a.read(st, &s[0]);
    s.erase(std::find(s.begin(), s.end(), '\0'), s.end());
    return s;
}

}  // namespace

int64_t Array::size() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
}

std::string Array::shape_str() const {
    if (shape.empty()) return "scalar";
    std::string s = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

Array Array::scalar(double v) {
    Array a;
    a.data = {v};
    return a;
}

Array Array::vec(std::vector<double> v, std::vector<int64_t> shape, bool f32) {
    Array a;
    a.shape = shape.empty() ? std::vector<int64_t>{int64_t(v.size())} : std::move(shape);
    a.data = std::move(v);
    a.f32 = f32;
    return a;
}

Array Array::ints(const std::vector<int64_t>& v, bool scalar) {
    Array a;
    a.shape = scalar ? std::vector<int64_t>{} : std::vector<int64_t>{int64_t(v.size())};
    a.data.assign(v.begin(), v.end());
    a.i64 = true;
    return a;
}

Array Array::text(const std::string& s) {
    Array a;
    a.is_string = true;
    a.strings = {s};
    return a;
}

File read_nir(const std::string& path) {
    H5::Exception::dontPrint();
    std::error_code ec;
    if (!fs::is_regular_file(path, ec))
        throw InputError("NIR file '" + path + "' does not exist or is not a file", path,
                         "give the path of a .nir file (HDF5) written by a NIR exporter");
    File f;
    f.path = path;
    std::string where = "/";
    try {
        if (H5::H5File::isHdf5(path.c_str()) <= 0)
            bad(path, "", "not an HDF5 file",
                "a NIR file is HDF5; write it with nir.write() or h5py");
        H5::H5File h5(path, H5F_ACC_RDONLY);
        Reader r{path};
        if (!h5.nameExists("version") || h5.childObjType("version") != H5O_TYPE_DATASET)
            bad(path, "/version", "the file has no `version` dataset",
                "NIR files hold the writer's NIR version as a root string `version`");
        Array v = r.read_dataset(h5.openDataSet("version"), "/version");
        if (!v.is_string || v.size() != 1)
            bad(path, "/version", "`version` is not one string",
                "write the version as a string, e.g. \"1.0.0\"");
        f.version = v.strings[0];
        if (!h5.nameExists("node") || h5.childObjType("node") != H5O_TYPE_GROUP)
            bad(path, "/node", "the file has no `node` group",
                "NIR files hold the graph in the root group `node`");
        where = "/node";
        f.graph = r.read_node(h5.openGroup("node"), "/node", 0);
        if (f.graph.type != "NIRGraph")
            bad(path, "/node", "the root node is a " + f.graph.type + ", not a NIRGraph",
                "wrap the node in a NIRGraph with Input and Output nodes");
    } catch (const H5::Exception& e) {
        bad(path, where, "HDF5 could not read the file (" + h5_message(e) + ")",
            "check that the file is a complete NIR file; rewrite it with nir.write()");
    }
    return f;
}

void write_nir(const File& f, const std::string& path) {
    H5::Exception::dontPrint();
    TempFile tmp(path);
    try {
        H5::H5File h5(tmp.path(), H5F_ACC_TRUNC);
        H5::Group root = h5.openGroup("/");
        write_array(root, "version", Array::text(f.version.empty() ? kNirVersion : f.version));
        H5::Group g = h5.createGroup("node");
        write_node(g, f.graph);
        h5.close();
    } catch (const H5::Exception& e) {
        throw InputError("cannot write NIR file '" + path + "' (" + h5_message(e) + ")", path,
                         "check the directory's permissions and free space");
    }
    tmp.commit();
}

void write_nir_data(const Recording& r, const std::string& path) {
    H5::Exception::dontPrint();
    TempFile tmp(path);
    try {
        H5::H5File h5(tmp.path(), H5F_ACC_TRUNC);
        H5::Group root = h5.openGroup("/");
        write_str_attr(root, "__type__", "NIRGraphData");
        H5::Group nodes = root.createGroup("nodes");
        std::map<std::string, H5::Group> obs_of;
        for (const Observable& o : r.observables) {
            if (int64_t(o.data.size()) != o.samples * o.steps * o.neurons)
                throw Error("observable '" + o.name + "' of node '" + o.node + "' holds " +
                            std::to_string(o.data.size()) +
                            " values, not samples × steps × neurons");
            if (!obs_of.count(o.node)) {
                H5::Group ng = nodes.createGroup(o.node);
                write_str_attr(ng, "__type__", "NIRNodeData");
                obs_of[o.node] = ng.createGroup("observables");
            }
            H5::Group og = obs_of[o.node].createGroup(o.name);
            write_str_attr(og, "__type__", "TimeGriddedData");
            const hsize_t dims[3] = {hsize_t(o.samples), hsize_t(o.steps), hsize_t(o.neurons)};
            H5::DataSpace sp(3, dims);
            H5::DSetCreatPropList pl;
            if (o.samples > 0 && o.steps > 0 && o.neurons > 0) {
                const hsize_t chunk[3] = {1, hsize_t(o.steps), hsize_t(o.neurons)};
                pl.setChunk(3, chunk);
                pl.setDeflate(4);
            }
            if (o.binary) {
                std::vector<uint8_t> b(o.data.size());
                for (std::size_t i = 0; i < b.size(); ++i) b[i] = o.data[i] != 0.0f;
                H5::DataSet ds = og.createDataSet("data", H5::PredType::STD_U8LE, sp, pl);
                if (!b.empty()) ds.write(b.data(), H5::PredType::NATIVE_UINT8);
            } else {
                H5::DataSet ds = og.createDataSet("data", H5::PredType::IEEE_F32LE, sp, pl);
                if (!o.data.empty()) ds.write(o.data.data(), H5::PredType::NATIVE_FLOAT);
            }
            H5::Attribute a =
                og.createAttribute("dt", H5::PredType::IEEE_F64LE, H5::DataSpace(H5S_SCALAR));
            a.write(H5::PredType::NATIVE_DOUBLE, &r.dt);
        }
        h5.close();
    } catch (const H5::Exception& e) {
        throw InputError("cannot write NIRData file '" + path + "' (" + h5_message(e) + ")", path,
                         "check the directory's permissions and free space");
    }
    tmp.commit();
}

Recording read_nir_data(const std::string& path) {
    H5::Exception::dontPrint();
    Recording r;
    std::string where = "/";
    try {
        if (H5::H5File::isHdf5(path.c_str()) <= 0)
            bad(path, "", "not an HDF5 file", "give a NIRData file");
        H5::H5File h5(path, H5F_ACC_RDONLY);
        H5::Group root = h5.openGroup("/");
        if (!root.attrExists("__type__") || read_str_attr(root, "__type__") != "NIRGraphData")
            bad(path, "/", "the root is not NIRGraphData",
                "give a file written by write_data / spikeforge export --activity");
        H5::Group nodes = root.openGroup("nodes");
        Reader rd{path};
        for (hsize_t i = 0; i < nodes.getNumObjs(); ++i) {
            const std::string node = nodes.getObjnameByIdx(i);
            H5::Group obs = nodes.openGroup(node).openGroup("observables");
            for (hsize_t j = 0; j < obs.getNumObjs(); ++j) {
                const std::string name = obs.getObjnameByIdx(j);
                where = "/nodes/" + node + "/observables/" + name;
                H5::Group og = obs.openGroup(name);
                if (read_str_attr(og, "__type__") != "TimeGriddedData")
                    bad(path, where, "only TimeGriddedData observables are read", "");
                Array a = rd.read_dataset(og.openDataSet("data"), where + "/data");
                if (a.is_string || a.shape.size() != 3)
                    bad(path, where, "data is not a [samples, steps, neurons] array", "");
                Observable o;
                o.node = node;
                o.name = name;
                o.samples = a.shape[0], o.steps = a.shape[1], o.neurons = a.shape[2];
                o.binary = og.openDataSet("data").getTypeClass() == H5T_INTEGER;
                o.data.assign(a.data.begin(), a.data.end());
                H5::Attribute dt = og.openAttribute("dt");
                dt.read(H5::PredType::NATIVE_DOUBLE, &r.dt);
                r.observables.push_back(std::move(o));
            }
        }
    } catch (const H5::Exception& e) {
        bad(path, where, "HDF5 could not read the file (" + h5_message(e) + ")", "");
    }
    return r;
}

}  // namespace sf::nir
