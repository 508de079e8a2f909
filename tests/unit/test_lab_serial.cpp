// Decoding the guest's serial console (rootless, no qemu).
#include <gtest/gtest.h>

#include <filesystem>

#include "lab/initramfs.hpp"
#include "lab/quiz_guest.hpp"
#include "lab/serial_decoder.hpp"
#include "lab_test_util.hpp"

using namespace tristate::lab;
using tristate::lab::testing::gzip;

namespace {

std::string console(const std::string& payload_b64, const std::string& size, int status) {
  return std::string("SeaBIOS (version 1.16)\r\n") + "[    0.000000] Linux version 6.1.0\r\n" + kMarkReady +
         " 6.1.0-56-cloud-amd64@@\r\n" + "tristate: running 8 quizzes\r\n" + kMarkBegin + "@@\r\n" +
         payload_b64 + kMarkEnd + " " + size + "@@\r\n" + kMarkExit + " " + std::to_string(status) + "@@\r\n" +
         "[    5.1] reboot: Power down\r\n";
}

std::string base64(const std::string& bytes) {
  static const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    if (i + 2 < bytes.size()) v |= static_cast<unsigned char>(bytes[i + 2]);
    out += a[v >> 18 & 63];
    out += a[v >> 12 & 63];
    out += i + 1 < bytes.size() ? a[v >> 6 & 63] : '=';
    out += i + 2 < bytes.size() ? a[v & 63] : '=';
    if (out.size() % 77 == 76) out += "\r\n";
  }
  return out + "\r\n";
}

std::string gz_console(const std::string& gz, const std::string& encoding) {
  return std::string(kMarkReady) + " 6.12@@\r\n" + kMarkBegin + " " + encoding + "@@\r\n" + base64(gz) +
         kMarkEnd + " " + std::to_string(gz.size()) + "@@\r\n" + kMarkExit + " 0@@\r\n";
}

}  // namespace

TEST(LabSerial, GzippedPayloadIsInflated) {
  std::string report;
  for (int i = 0; i < 2000; ++i) report += "{\"step\": " + std::to_string(i) + ", \"errno\": \"EADDRINUSE\"}\n";
  const std::string gz = gzip(report);
  ASSERT_LT(gz.size() * 5, report.size());  // why the guest compresses at all
  SerialDecoder d;
  d.feed(gz_console(gz, "gzip"));
  ASSERT_TRUE(d.has_payload());
  EXPECT_EQ(d.payload(), report);
}

TEST(LabSerial, DamagedOrUnknownEncodingIsAnError) {
  const std::string gz = gzip(std::string(5000, 'x'));
  SerialDecoder truncated;  // the size matches what was sent, the stream itself is cut
  truncated.feed(gz_console(gz.substr(0, gz.size() / 2), "gzip"));
  try {
    truncated.payload();
    FAIL() << "a truncated gzip stream was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("gzip stream is damaged"), std::string::npos) << e.what();
  }
  std::string flipped = gz;
  flipped[flipped.size() - 6] ^= 0x55;  // inside the CRC32 trailer
  SerialDecoder crc;
  crc.feed(gz_console(flipped, "gzip"));
  EXPECT_THROW(crc.payload(), std::runtime_error);
  SerialDecoder unknown;
  unknown.feed(gz_console(gz, "zstd"));
  try {
    unknown.payload();
    FAIL() << "an unknown encoding was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown encoding 'zstd'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(gunzip("not gzip at all"), std::runtime_error);
}

TEST(LabSerial, Base64) {
  EXPECT_EQ(base64_decode("aGVsbG8="), "hello");
  EXPECT_EQ(base64_decode("aGVs\nbG8h\n"), "hell" "o!");
  EXPECT_EQ(base64_decode(""), "");
  EXPECT_THROW(base64_decode("aGVsbG8"), std::runtime_error);    // truncated
  EXPECT_THROW(base64_decode("aGV*bG8="), std::runtime_error);   // bad character
  EXPECT_THROW(base64_decode("aG=sbG8="), std::runtime_error);   // data after padding
}

TEST(LabSerial, DecodesMarkersInOneFeed) {
  SerialDecoder d;
  std::vector<std::string> lines;
  d.on_line = [&](const std::string& l) { lines.push_back(l); };
  // {"a":1}\n base64: eyJhIjoxfQo=
  d.feed(console("eyJhIjox\r\nfQo=\r\n", "8", 1));
  d.finish();
  EXPECT_TRUE(d.ready());
  EXPECT_EQ(d.release(), "6.1.0-56-cloud-amd64");
  ASSERT_TRUE(d.has_payload());
  EXPECT_EQ(d.payload(), "{\"a\":1}\n");
  ASSERT_TRUE(d.exit_status());
  EXPECT_EQ(*d.exit_status(), 1);
  // markers and payload are not console lines; \r is gone
  for (auto& l : lines) {
    EXPECT_EQ(l.find("@@TRISTATE"), std::string::npos) << l;
    EXPECT_EQ(l.find('\r'), std::string::npos) << l;
    EXPECT_NE(l, "eyJhIjox");
  }
  EXPECT_EQ(lines.size(), 4u);
}

TEST(LabSerial, ByteByByteGivesTheSameResult) {
  std::string all = console("eyJhIjox\r\nfQo=\r\n", "8", 0);
  SerialDecoder d;
  for (char c : all) d.feed(std::string_view(&c, 1));
  d.finish();
  EXPECT_EQ(d.payload(), "{\"a\":1}\n");
  EXPECT_EQ(*d.exit_status(), 0);
}

TEST(LabSerial, DamagedPayloadIsAnError) {
  SerialDecoder d;
  d.feed(console("eyJhIjox\r\n[ 3.1] some printk\r\nfQo=\r\n", "8", 0));
  EXPECT_TRUE(d.has_payload());
  EXPECT_THROW(d.payload(), std::runtime_error);
  SerialDecoder lost;  // a whole base64 line dropped: the size check catches it
  lost.feed(console("eyJhIjox\r\n", "8", 0));
  EXPECT_THROW(lost.payload(), std::runtime_error);
}

TEST(LabSerial, PanicLeavesNoExitAndKeepsTail) {
  SerialDecoder d(3);
  d.feed("line 1\nline 2\nKernel panic - not syncing: Attempted to kill init! exitcode=0x00000300\n");
  d.feed("---[ end Kernel panic");  // unterminated
  d.finish();
  EXPECT_FALSE(d.ready());
  EXPECT_FALSE(d.exit_status());
  ASSERT_EQ(d.tail().size(), 3u);
  EXPECT_EQ(d.tail().front(), "line 2");
  EXPECT_EQ(d.tail().back(), "---[ end Kernel panic");
  EXPECT_NE(d.tail_text().find("  | Kernel panic"), std::string::npos);
}

// A panic's call trace can outgrow the tail (CI saw a 6.1 sysrq crash whose trace pushed the
// "Kernel panic" line out of 40 lines and the error said "stopped before /init started").
TEST(LabSerial, PanicLineOutlivesTheTail) {
  SerialDecoder d(3);
  d.feed("[    1.9] Kernel panic - not syncing: sysrq triggered crash\n");
  for (int i = 0; i < 10; ++i) d.feed("[    1.9]  ? do_syscall_64+0x69/0x90\n");
  d.feed("[    1.9] Kernel panic - not syncing: a second one\n");
  ASSERT_TRUE(d.panic_line());
  EXPECT_EQ(*d.panic_line(), "Kernel panic - not syncing: sysrq triggered crash");
  for (auto& l : d.tail()) EXPECT_EQ(l.find("sysrq"), std::string::npos);

  SerialDecoder calm;
  calm.feed("booting\nnothing wrong\n");
  EXPECT_FALSE(calm.panic_line());
}

// CI: an init's last words ("bogus init exiting") scrolled out of the tail behind a 6.1 call
// trace. The panic's console keeps what came just before it, the panic, and the tail after.
TEST(LabSerial, PanicConsoleKeepsWhatCameBeforeThePanic) {
  SerialDecoder d(5);
  d.feed("boot 1\nboot 2\nbogus init exiting\n");
  d.feed("[    2.8] Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000300\n");
  for (int i = 0; i < 12; ++i) d.feed("[    2.8]  ? frame " + std::to_string(i) + "\n");
  const auto c = d.error_console();
  ASSERT_EQ(c.size(), 3u + 1 + 1 + 5);
  EXPECT_EQ(c[2], "bogus init exiting");
  EXPECT_EQ(c[3], "[    2.8] Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000300");
  EXPECT_EQ(c[4], "... 7 lines ...");
  EXPECT_EQ(c.back(), "[    2.8]  ? frame 11");

  SerialDecoder short_trace(40);  // nothing cut: no "..." line, no line twice
  short_trace.feed("a\nKernel panic - x\nb\n");
  EXPECT_EQ(short_trace.error_console(), (std::vector<std::string>{"a", "Kernel panic - x", "b"}));

  SerialDecoder calm(3);
  calm.feed("1\n2\n3\n4\n");
  EXPECT_EQ(calm.error_console(), (std::vector<std::string>{"2", "3", "4"}));
}

// What `kernels boot -- CMD` prints when CMD made no result file: the console lines between
// READY and the payload/EXIT markers, not the boot's, not the payload's.
TEST(LabSerial, CommandOutputIsWhatCameBetweenReadyAndTheMarkers) {
  SerialDecoder d;
  d.feed("[    0.5] early boot line\n");
  d.feed(std::string(kMarkReady) + " 6.1.0-57-cloud-amd64@@\n");
  d.feed("Linux (none) 6.1.0\r\nsecond line\n");
  d.feed(std::string(kMarkNone) + "@@\n" + kMarkExit + " 0@@\n");
  d.feed("reboot: Power down\n");
  EXPECT_EQ(d.command_output(), "Linux (none) 6.1.0\nsecond line\n");
  EXPECT_FALSE(d.command_output_truncated());

  SerialDecoder flood;
  flood.feed(std::string(kMarkReady) + " 6.1@@\n");
  const std::string line(1023, 'x');
  for (std::size_t i = 0; i <= SerialDecoder::kCommandOutputMax / 1024; ++i) flood.feed(line + "\n");
  EXPECT_LE(flood.command_output().size(), SerialDecoder::kCommandOutputMax);
  EXPECT_TRUE(flood.command_output_truncated());
}

TEST(LabSerial, NoPayloadMarker) {
  SerialDecoder d;
  d.feed(std::string(kMarkReady) + " 5.10.0@@\n" + kMarkNone + "@@\n" + kMarkExit + " 2@@\n");
  EXPECT_TRUE(d.no_payload());
  EXPECT_FALSE(d.has_payload());
  EXPECT_EQ(*d.exit_status(), 2);
}

TEST(LabSerial, InitScriptQuotesArgvAndPrintsMarkers) {
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
  std::string init = make_init_script({"tristate", "quiz", "a b", "$(reboot)"}, "/tmp/report.json");
  EXPECT_NE(init.find("'tristate' 'quiz' 'a b' '$(reboot)'\n"), std::string::npos) << init;
  for (auto m : {kMarkReady, kMarkBegin, kMarkEnd, kMarkNone, kMarkExit})
    EXPECT_NE(init.find(m), std::string::npos) << m;
  for (auto fs : {"-t proc", "-t sysfs", "-t devtmpfs", "-t tracefs", "-t debugfs", "-t bpf"})
    EXPECT_NE(init.find(fs), std::string::npos) << fs;
  EXPECT_NE(init.find("ip link set lo up"), std::string::npos);
  EXPECT_NE(init.find("poweroff -f"), std::string::npos);
  EXPECT_NE(init.find("gzip -c '/tmp/report.json'"), std::string::npos) << init;
  EXPECT_EQ(make_init_script({"true"}, "").find(kMarkBegin), std::string::npos);
}

TEST(LabSerial, TerminalEscapesAreDropped) {
  SerialDecoder d;
  d.feed("\x1b" "c\x1b[?7l\x1b[2JSeaBIOS (version 1.16.2)\n");
  ASSERT_EQ(d.tail().size(), 1u);
  EXPECT_EQ(d.tail().front(), "SeaBIOS (version 1.16.2)");
}

TEST(LabQuizRequest, ShipsTristateAndQuizzes) {
  auto req = make_quiz_request("/opt/x/tristate", {"/q/post-1.quiz", "/other/post-1.quiz", "my.quiz"}, {"--no-fentry"});
  ASSERT_EQ(req.executables.size(), 1u);
  EXPECT_EQ(req.executables[0], "/opt/x/tristate");
  EXPECT_EQ(req.result_path, kGuestReportPath);
  ASSERT_EQ(req.files.size(), 3u);
  EXPECT_EQ(req.files[0].guest_path, "/quizzes/post-1.quiz");
  EXPECT_NE(req.files[1].guest_path, req.files[0].guest_path);  // same basename, own place
  EXPECT_EQ(req.files[2].host_path, std::filesystem::absolute("my.quiz").string());
  std::vector<std::string> want = {"tristate", "quiz", "--json", kGuestReportPath, "--quiet", "--detach-after-exit",
                                   req.files[0].guest_path, req.files[1].guest_path,
                                   req.files[2].guest_path, "--no-fentry"};
  EXPECT_EQ(req.argv, want);
}
