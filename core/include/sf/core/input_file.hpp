// Reading the files a user hands us, with limits: only regular files are read (a device
// such as /dev/zero, a FIFO or a socket would be read forever), and never more than a
// documented number of bytes, checked against the file's real size before anything is
// allocated. Every loader of a user file (YAML, JSON, .npy/.npz) reads through here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sf {

// Largest .npy/.npz file read, and largest total of array bytes one .npz may inflate to.
constexpr uint64_t kMaxTensorFileBytes = uint64_t(4) << 30;  // 4 GiB
// Largest YAML or JSON file read (network.yaml, chip YAML, image.yaml, state.json, ...).
constexpr uint64_t kMaxTextFileBytes = uint64_t(64) << 20;  // 64 MiB

// The whole content of `path`. `what` names the kind of file in messages (".npz file").
// Throws InputError naming the path when it is missing, a directory, not a regular file,
// larger than max_bytes, or unreadable.
std::vector<uint8_t> read_input_file(const std::string& path, const std::string& what,
                                     uint64_t max_bytes);
std::string read_input_text(const std::string& path, const std::string& what,
                            uint64_t max_bytes = kMaxTextFileBytes);

// "4 GiB", "64 MiB", "123 bytes": a limit as the messages and docs state it.
std::string format_bytes(uint64_t n);

}  // namespace sf
