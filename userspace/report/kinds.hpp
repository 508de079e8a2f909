// The report's closed vocabularies as types: what an event is, which socket operation caused
// it, how the kernel was traced, how a quiz and a state assertion came out. Each enum has one
// name table, right under it, used by the BPF decoder, the JSON reader and writer, the report
// checker and every renderer, so a new value and its name are added in one place (a
// static_assert holds them together) and `-Wswitch` points at every switch that must learn it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace tristate::report {

enum class EventKind : std::uint8_t {
  bucket_create,    // inet_bind_bucket_create: a bhash bucket was made
  bucket_state,     // fastreuse/fastreuseport written (changed or re-read)
  bucket_destroy,   // the bucket's last owner left
  bind_alloc,       // inet_csk_get_port returned (bind(), listen())
  connect_alloc,    // __inet_hash_connect returned (connect())
  connect_skip,     // reserved in the schema; never emitted (explain.cpp derives the skip)
  bucket2_create,   // bhash2 (6.1+)
  bucket2_destroy,
};
inline constexpr std::array<std::string_view, 8> kEventKindNames = {
    "bucket_create", "bucket_state",  "bucket_destroy", "bind_alloc",
    "connect_alloc", "connect_skip", "bucket2_create", "bucket2_destroy"};
static_assert(std::size_t(EventKind::bucket2_destroy) + 1 == kEventKindNames.size());

// Which socket operation of the traced thread the event happened in; none when outside one
// (a timer freeing a TIME_WAIT bucket, softirq work for an accepted connection). Named ""
// in JSON, where the field is then left out.
enum class OpPath : std::uint8_t { none, bind, listen, connect, release };
inline constexpr std::array<std::string_view, 5> kOpPathNames = {"", "bind", "listen", "connect", "release"};
static_assert(std::size_t(OpPath::release) + 1 == kOpPathNames.size());

// How a run was traced: every probe by one mechanism, some of each, or not at all.
enum class TraceMode : std::uint8_t { none, fentry, kprobe, mixed };
inline constexpr std::array<std::string_view, 4> kTraceModeNames = {"none", "fentry", "kprobe", "mixed"};
static_assert(std::size_t(TraceMode::mixed) + 1 == kTraceModeNames.size());

// How one kernel function was attached.
enum class ProbeMechanism : std::uint8_t { none, fentry, fexit, kprobe, kretprobe };
inline constexpr std::array<std::string_view, 5> kProbeMechanismNames = {"none", "fentry", "fexit", "kprobe",
                                                                         "kretprobe"};
static_assert(std::size_t(ProbeMechanism::kretprobe) + 1 == kProbeMechanismNames.size());

// A quiz as a whole: every step as expected, some step not (a mismatch), or it could not run.
enum class QuizStatus : std::uint8_t { ok, mismatch, error };
inline constexpr std::array<std::string_view, 3> kQuizStatusNames = {"ok", "mismatch", "error"};
static_assert(std::size_t(QuizStatus::error) + 1 == kQuizStatusNames.size());

// A state assertion (`>>> # state s1: -1/-1`). Named "passed", "DIFF", "not checked".
enum class CheckOutcome : std::uint8_t {
  passed,       // everything the assertion states was read and equal
  diff,         // something read differs: counts as a mismatch of the quiz
  not_checked,  // not everything could be read (no snapshot, no such state on this kernel)
};
inline constexpr std::array<std::string_view, 3> kCheckOutcomeNames = {"passed", "DIFF", "not checked"};
static_assert(std::size_t(CheckOutcome::not_checked) + 1 == kCheckOutcomeNames.size());

std::string_view name(EventKind v);
std::string_view name(OpPath v);
std::string_view name(TraceMode v);
std::string_view name(ProbeMechanism v);
std::string_view name(QuizStatus v);
std::string_view name(CheckOutcome v);

// The value a name stands for; none for a name this build does not know.
template <typename E>
std::optional<E> from_name(std::string_view s);

// Every name of an enum, in declaration order (the report checker lists them in its errors).
template <typename E>
std::span<const std::string_view> names();

constexpr bool is_bhash2(EventKind k) {
  return k == EventKind::bucket2_create || k == EventKind::bucket2_destroy;
}
constexpr bool is_alloc(EventKind k) { return k == EventKind::bind_alloc || k == EventKind::connect_alloc; }
constexpr bool is_fentry_family(ProbeMechanism m) {
  return m == ProbeMechanism::fentry || m == ProbeMechanism::fexit;
}
constexpr bool is_kprobe_family(ProbeMechanism m) {
  return m == ProbeMechanism::kprobe || m == ProbeMechanism::kretprobe;
}

}  // namespace tristate::report
