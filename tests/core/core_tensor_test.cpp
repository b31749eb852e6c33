// .npy / .npz reading and writing (tensor.cpp), cross-checked against numpy.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core_test_util.hpp"
#include "sf/core/error.hpp"
#include "sf/core/tensor.hpp"

using namespace sf;
using sf_test::TempDir;

namespace {

std::string fixture(const std::string& name) {
    return sf_test::source_dir() + "/tests/core/data/" + name;
}

void truncate_file(const std::string& path, std::size_t keep) {
    std::string s = sf_test::read_text(path);
    sf_test::write_text(path, s.substr(0, keep));
}

int run_python(const std::string& code) {
    const std::string cmd = "/usr/bin/python3 -c \"" + code + "\" >/dev/null 2>&1";
    return std::system(cmd.c_str());
}

}  // namespace

TEST_CASE("A tensor converts between every numeric element type", "[core][tensor]") {
    const Tensor t = Tensor::from<int16_t>({-3, 0, 7, 300}, {2, 2});
    CHECK(t.dtype == DType::I16);
    CHECK(t.size() == 4);
    CHECK(t.shape_str() == "[2, 2]");
    CHECK(t.to<float>() == std::vector<float>{-3, 0, 7, 300});
    CHECK(t.to<double>() == std::vector<double>{-3, 0, 7, 300});
    CHECK(t.to<int64_t>() == std::vector<int64_t>{-3, 0, 7, 300});
    CHECK(t.to<int32_t>() == std::vector<int32_t>{-3, 0, 7, 300});
    CHECK(Tensor::from<int16_t>({0, 7, 300}, {3}).to<uint16_t>() == std::vector<uint16_t>{0, 7, 300});
    // -3 has no uint16 value: refused, not wrapped to 65533.
    CHECK_THROWS_AS(t.to<uint16_t>(), InputError);
    CHECK(Tensor::from<uint8_t>({1, 2}, {2}).to<int8_t>() == std::vector<int8_t>{1, 2});
    CHECK(Tensor::from<uint64_t>({5}, {}).to<uint32_t>() == std::vector<uint32_t>{5});
    CHECK(Tensor::from<float>({1.5f}, {}).shape_str() == "[]");
    CHECK(Tensor::from<float>({}, {0, 3}).size() == 0);
    CHECK_THROWS_AS(Tensor::from<float>({1, 2, 3}, {2, 2}), InputError);
    // A default tensor stands for "absent" and converts to no elements.
    CHECK(Tensor{}.to<float>().empty());
    CHECK(dtype_size(DType::F64) == 8);
    CHECK(std::string(npy_descr(DType::I8)) == "|i1");
}

TEST_CASE(".npy files round-trip every dtype and shape", "[core][tensor]") {
    TempDir dir;
    const std::vector<Tensor> cases = {
        Tensor::from<float>({1.5f, -2.25f, 3.0f, 0.0f, 1e-7f, -1e9f}, {2, 3}),
        Tensor::from<double>({3.141592653589793}, {}),
        Tensor::from<int8_t>({-128, 127, 0}, {3}),
        Tensor::from<uint8_t>({255, 1}, {2, 1}),
        Tensor::from<int16_t>({-32768, 32767}, {1, 2}),
        Tensor::from<uint16_t>({65535}, {1}),
        Tensor::from<int32_t>({-7, 8, 9, 10}, {2, 2, 1}),
        Tensor::from<uint32_t>({4000000000u}, {1}),
        Tensor::from<int64_t>({-(int64_t(1) << 40), 42}, {2}),
        Tensor::from<uint64_t>({~uint64_t(0)}, {1, 1}),
        Tensor::from<float>({}, {0}),
    };
    for (size_t i = 0; i < cases.size(); ++i) {
        const std::string path = dir / ("t" + std::to_string(i) + ".npy");
        write_npy(path, cases[i]);
        const Tensor back = read_npy(path);
        INFO("case " << i << " dtype " << npy_descr(cases[i].dtype));
        CHECK(back.dtype == cases[i].dtype);
        CHECK(back.shape == cases[i].shape);
        CHECK(back.bytes == cases[i].bytes);
        // Data starts on a 64-byte boundary, as numpy aligns it.
        CHECK((std::filesystem::file_size(path) - cases[i].bytes.size()) % 64 == 0);
    }
    // No temporary files are left behind.
    int files = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir.str())) {
        (void)e;
        ++files;
    }
    CHECK(files == int(cases.size()));
}

TEST_CASE(".npz archives round-trip and keys drop the .npy suffix", "[core][tensor]") {
    TempDir dir;
    std::map<std::string, Tensor> arrays;
    arrays["fc1"] = Tensor::from<float>({1, 2, 3, 4, 5, 6}, {3, 2});
    arrays["idx"] = Tensor::from<int64_t>({0, 1, 2, 0}, {2, 2});
    arrays["b"] = Tensor::from<float>({0.5f}, {1});
    const std::string path = dir / "w.npz";
    write_npz(path, arrays);
    const auto back = read_npz(path);
    REQUIRE(back.size() == 3);
    for (const auto& [k, t] : arrays) {
        REQUIRE(back.count(k) == 1);
        CHECK(back.at(k).dtype == t.dtype);
        CHECK(back.at(k).shape == t.shape);
        CHECK(back.at(k).bytes == t.bytes);
    }
    CHECK(load_tensor_ref(dir.str(), "w.npz:fc1").to<float>() ==
          std::vector<float>{1, 2, 3, 4, 5, 6});
    write_npy(dir / "single.npy", arrays["b"]);
    CHECK(load_tensor_ref(dir.str(), "single.npy").to<float>() == std::vector<float>{0.5f});
    CHECK(load_tensor_ref("/nonexistent", dir / "single.npy").size() == 1);  // absolute path
    // An empty archive is valid.
    write_npz(dir / "empty.npz", {});
    CHECK(read_npz(dir / "empty.npz").empty());
}

TEST_CASE("Tensor references report missing files, keys and bad forms", "[core][tensor]") {
    TempDir dir;
    write_npz(dir / "w.npz", {{"a", Tensor::from<float>({1}, {1})}});
    try {
        load_tensor_ref(dir.str(), "missing.npy");
        FAIL("expected an InputError");
    } catch (const InputError& e) {
        CHECK_THAT(e.problem(), Catch::Contains("missing.npy"));
    }
    try {
        load_tensor_ref(dir.str(), "w.npz:nope");
        FAIL("expected an InputError");
    } catch (const InputError& e) {
        CHECK_THAT(e.problem(), Catch::Contains("nope"));
        CHECK_THAT(e.fix(), Catch::Contains("a"));
    }
    CHECK_THROWS_AS(load_tensor_ref(dir.str(), "w.npz"), InputError);
    CHECK_THROWS_AS(load_tensor_ref(dir.str(), ""), InputError);
}

TEST_CASE("The committed numpy fixtures are read correctly (stored .npy, deflated .npz)",
          "[core][tensor]") {
    const Tensor a = read_npy(fixture("fixture_f32_2x3.npy"));
    CHECK(a.dtype == DType::F32);
    CHECK(a.shape == std::vector<int64_t>{2, 3});
    CHECK(a.to<float>() == std::vector<float>{-1.0f, -0.5f, 0.0f, 0.5f, 1.0f, 1.5f});

    const auto z = read_npz(fixture("fixture_mixed.npz"));  // numpy.savez_compressed
    REQUIRE(z.size() == 3);
    CHECK(z.at("w").dtype == DType::I16);
    CHECK(z.at("w").to<int>() == std::vector<int>{1, -2, 3, -4});
    CHECK(z.at("b").dtype == DType::F64);
    CHECK(z.at("b").to<double>() == std::vector<double>{0.25, -0.5, 1e-3});
    CHECK(z.at("idx").shape == std::vector<int64_t>{3, 2});
    CHECK(z.at("idx").to<int64_t>() == std::vector<int64_t>{0, 1, 2, 3, 4, 5});
}

TEST_CASE("Files written by Debian's numpy are read, and numpy reads ours", "[core][tensor]") {
    if (!sf_test::have_numpy()) {
        WARN("/usr/bin/python3 with numpy not found: numpy cross-check skipped");
        return;
    }
    TempDir dir;
    const std::string d = dir.str();
    // numpy writes: a v1.0 .npy, a v2.0 .npy, a stored .npz (savez, ZIP64 members),
    // a bool array, and a scalar.
    REQUIRE(run_python("import numpy as np; d='" + d +
                       "'; "
                       "a=np.arange(12,dtype=np.int32).reshape(3,4)-5; "
                       "np.save(d+'/v1.npy', a); "
                       "np.lib.format.write_array(open(d+'/v2.npy','wb'), a, version=(2,0)); "
                       "np.savez(d+'/s.npz', fc1=a.astype(np.float32), m=np.array([True,False])); "
                       "np.save(d+'/scalar.npy', np.float64(2.5)); "
                       "np.save(d+'/fortran.npy', np.asfortranarray(a)); "
                       "np.save(d+'/big.npy', a.astype('>i4'))") == 0);
    std::vector<int32_t> expect(12);
    for (int i = 0; i < 12; ++i) expect[size_t(i)] = i - 5;
    CHECK(read_npy(d + "/v1.npy").to<int32_t>() == expect);
    const Tensor v2 = read_npy(d + "/v2.npy");
    CHECK(v2.shape == std::vector<int64_t>{3, 4});
    CHECK(v2.to<int32_t>() == expect);
    const auto s = read_npz(d + "/s.npz");
    CHECK(s.at("fc1").to<int32_t>() == expect);
    CHECK(s.at("m").dtype == DType::Bool);
    CHECK(s.at("m").to<int>() == std::vector<int>{1, 0});
    const Tensor sc = read_npy(d + "/scalar.npy");
    CHECK(sc.shape.empty());
    CHECK(sc.to<double>() == std::vector<double>{2.5});
    CHECK_THROWS_AS(read_npy(d + "/fortran.npy"), InputError);
    try {
        read_npy(d + "/big.npy");
        FAIL("expected an InputError");
    } catch (const InputError& e) {
        CHECK_THAT(e.problem(), Catch::Contains("big-endian"));
        CHECK_THAT(e.where(), Catch::Contains("big.npy"));
    }

    // numpy reads what we write.
    write_npz(d + "/ours.npz", {{"w", Tensor::from<float>({1, -2, 3.5f}, {3})},
                                {"i", Tensor::from<int64_t>({7, 8}, {1, 2})}});
    write_npy(d + "/ours.npy", Tensor::from<uint16_t>({1, 2, 3, 4}, {2, 2}));
    CHECK(run_python("import numpy as np; d='" + d +
                     "'; z=np.load(d+'/ours.npz'); "
                     "assert z['w'].dtype==np.float32 and list(z['w'])==[1,-2,3.5]; "
                     "assert z['i'].shape==(1,2) and z['i'][0,1]==8; "
                     "a=np.load(d+'/ours.npy'); assert a.dtype==np.uint16 and a[1,0]==3") == 0);
}

TEST_CASE("Corrupt and truncated files raise InputError naming the file", "[core][tensor]") {
    TempDir dir;
    const Tensor t = Tensor::from<float>({1, 2, 3, 4}, {2, 2});
    write_npy(dir / "a.npy", t);
    write_npz(dir / "a.npz", {{"x", t}});
    const auto size_npy = std::filesystem::file_size(dir / "a.npy");
    const auto size_npz = std::filesystem::file_size(dir / "a.npz");

    auto expect_error = [](auto fn, const std::string& file) {
        try {
            fn();
            FAIL("expected an InputError for " << file);
        } catch (const InputError& e) {
            CHECK_THAT(e.where(), Catch::Contains(file));
        }
    };
    // Truncated at many points, both formats.
    for (std::size_t keep : {std::size_t(0), std::size_t(5), std::size_t(20), std::size_t(70),
                             std::size_t(size_npy - 1)}) {
        std::filesystem::copy_file(dir / "a.npy", dir / "cut.npy",
                                   std::filesystem::copy_options::overwrite_existing);
        truncate_file(dir / "cut.npy", keep);
        expect_error([&] { read_npy(dir / "cut.npy"); }, "cut.npy");
    }
    for (std::size_t keep : {std::size_t(0), std::size_t(10), std::size_t(60),
                             std::size_t(size_npz / 2), std::size_t(size_npz - 3)}) {
        std::filesystem::copy_file(dir / "a.npz", dir / "cut.npz",
                                   std::filesystem::copy_options::overwrite_existing);
        truncate_file(dir / "cut.npz", keep);
        expect_error([&] { read_npz(dir / "cut.npz"); }, "cut.npz");
    }
    // A flipped data byte in an archive fails the CRC check.
    std::string z = sf_test::read_text(dir / "a.npz");
    z[100] = char(z[100] ^ 0x5a);  // inside the member's array data
    sf_test::write_text(dir / "flip.npz", z);
    expect_error([&] { read_npz(dir / "flip.npz"); }, "flip.npz");
    // Garbage header dicts.
    std::string n = sf_test::read_text(dir / "a.npy");
    std::string bad = n;
    bad.replace(bad.find("'descr'"), 7, "'dexcr'");
    sf_test::write_text(dir / "badkey.npy", bad);
    expect_error([&] { read_npy(dir / "badkey.npy"); }, "badkey.npy");
    bad = n;
    bad.replace(bad.find("<f4"), 3, "<c8");
    sf_test::write_text(dir / "complex.npy", bad);
    expect_error([&] { read_npy(dir / "complex.npy"); }, "complex.npy");
    bad = n;
    bad[6] = 9;  // format version 9
    sf_test::write_text(dir / "ver.npy", bad);
    expect_error([&] { read_npy(dir / "ver.npy"); }, "ver.npy");
    sf_test::write_text(dir / "text.npy", "hello, world, this is not numpy");
    expect_error([&] { read_npy(dir / "text.npy"); }, "text.npy");
    expect_error([&] { read_npz(dir / "text.npy"); }, "text.npy");
    expect_error([&] { read_npy(dir / "absent.npy"); }, "absent.npy");
}

TEST_CASE("A failed write leaves no file and no temporary behind", "[core][tensor]") {
    TempDir dir;
    const Tensor t = Tensor::from<float>({1}, {1});
    CHECK_THROWS_AS(write_npy(dir / "no/such/dir/x.npy", t), InputError);
    CHECK_THROWS_AS(write_npz(dir / "no/such/dir/x.npz", {{"a", t}}), InputError);
    CHECK(std::filesystem::is_empty(dir.str()));
    // Overwriting an existing file replaces it whole.
    write_npy(dir / "x.npy", Tensor::from<float>({1, 2, 3}, {3}));
    write_npy(dir / "x.npy", t);
    CHECK(read_npy(dir / "x.npy").size() == 1);
}

TEST_CASE("Randomly corrupted .npy and .npz files never crash the readers", "[core][tensor]") {
    TempDir dir;
    write_npy(dir / "a.npy", Tensor::from<int32_t>({1, 2, 3, 4, 5, 6}, {2, 3}));
    write_npz(dir / "a.npz", {{"x", Tensor::from<float>({1, 2}, {2})},
                              {"y", Tensor::from<int64_t>({3}, {1})}});
    // numpy.savez_compressed output exercises the DEFLATE path too.
    const std::string fixture_npz = sf_test::read_text(fixture("fixture_mixed.npz"));
    const std::string sources[] = {sf_test::read_text(dir / "a.npy"),
                                   sf_test::read_text(dir / "a.npz"), fixture_npz};
    uint64_t state = 12345;  // fixed seed: the same mutations every run
    auto next = [&] {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return uint32_t(state >> 33);
    };
    int errors = 0, ok = 0;
    for (int round = 0; round < 300; ++round) {
        const std::string& src = sources[round % 3];
        std::string s = src;
        const int flips = 1 + int(next() % 4);
        for (int k = 0; k < flips; ++k) s[next() % s.size()] = char(next() & 0xff);
        if (next() % 4 == 0) s.resize(next() % s.size());
        const std::string path = dir / (round % 3 == 0 ? "m.npy" : "m.npz");
        sf_test::write_text(path, s);
        try {
            if (round % 3 == 0) read_npy(path);
            else read_npz(path);
            ++ok;  // a flip in padding or in an unchecked field may leave a valid file
        } catch (const InputError&) {
            ++errors;
        }
    }
    CHECK(errors + ok == 300);
    CHECK(errors > 150);
}
