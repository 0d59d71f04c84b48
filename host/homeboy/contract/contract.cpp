#include "homeboy/contract/contract.hpp"

#include "homeboy/contract/json_text.hpp"
#include "homeboy/contract/json_input.hpp"
#include "homeboy/contract/limits.hpp"
#include "homeboy/text.hpp"

#include <boost/json.hpp>
#include <boost/json/basic_parser_impl.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <memory>
#include <optional>
#include <utility>
#include <variant>

namespace json = boost::json;

namespace homeboy::contract {

namespace {

// How much of an answer is kept to quote in a violation (excerpt() shows 200 bytes).
constexpr std::size_t quoted_answer_bytes = 256;

constexpr std::array<std::pair<Operation, std::string_view>, 7> operation_names{{
    {Operation::read, "read"},
    {Operation::write, "write"},
    {Operation::list, "list"},
    {Operation::remove, "delete"},
    {Operation::ensure_dir, "ensure_dir"},
    {Operation::check, "check"},
    {Operation::batch, "batch"},
}};

constexpr std::array<std::pair<ErrorCode, std::string_view>, 14> error_code_names{{
    {ErrorCode::not_found, "not_found"},
    {ErrorCode::permission_denied, "permission_denied"},
    {ErrorCode::invalid_argument, "invalid_argument"},
    {ErrorCode::unsupported, "unsupported"},
    {ErrorCode::conflict, "conflict"},
    {ErrorCode::io_error, "io_error"},
    {ErrorCode::unavailable, "unavailable"},
    {ErrorCode::invalid_config, "invalid_config"},
    {ErrorCode::authentication_failed, "authentication_failed"},
    {ErrorCode::too_large, "too_large"},
    {ErrorCode::no_space, "no_space"},
    {ErrorCode::aborted, "aborted"},
    {ErrorCode::timeout, "timeout"},
    {ErrorCode::not_run, "not_run"},
}};


// An event as compact JSON, written straight into one string sized for it beforehand: a
// large write's content is escaped once, in place, never copied into a JSON value first.
std::size_t event_size(const Event& event) {
  auto bytes_size = [](std::string_view b) { return text::is_utf8(b) ? escaped_size(b) : (b.size() + 2) / 3 * 4 + 2; };
  std::size_t size = 96 + bytes_size(event.path);
  for (const auto& op : event.operations) size += event_size(op);
  if (event.operation == Operation::write)
    size += bytes_size(event.content);
  return size + bytes_size(event.condition.version);
}

// Where an event's text goes: one string, or pieces of about 64 KiB to a sink.
void put_escaped(std::string& out, std::string_view bytes) { append_escaped(out, bytes); }
void put_base64(std::string& out, std::string_view bytes) { out += text::base64_encode(bytes); }

class Pieces {
 public:
  explicit Pieces(const std::function<void(std::string_view)>& put) : put_(put) { buffer_.reserve(piece_bytes + 256); }
  Pieces& operator+=(std::string_view s) {
    buffer_.append(s);
    if (buffer_.size() >= piece_bytes) flush();
    return *this;
  }
  Pieces& operator+=(char c) { return *this += std::string_view(&c, 1); }
  void flush() {
    if (buffer_.empty()) return;
    put_(buffer_);
    buffer_.clear();
  }

 private:
  static constexpr std::size_t piece_bytes = 64 * 1024;
  const std::function<void(std::string_view)>& put_;
  std::string buffer_;
};

void put_escaped(Pieces& out, std::string_view bytes) {
  out += '"';
  escape_pieces(bytes, [&](std::string_view piece) { out += piece; });
  out += '"';
}
void put_base64(Pieces& out, std::string_view bytes) {
  constexpr std::size_t slice = 48 * 1024;  // a multiple of 3: the slices' encodings join into one
  for (std::size_t at = 0; at < bytes.size(); at += slice) out += text::base64_encode(bytes.substr(at, slice));
}

// ,"key":"bytes" or, when they are not UTF-8 (JSON text cannot carry them), ,"key_base64":"...".
template <class Out>
void append_bytes(Out& out, std::string_view key, std::string_view bytes) {
  out += ",\"";
  out += key;
  if (text::is_utf8(bytes)) {
    out += "\":";
    put_escaped(out, bytes);
  } else {
    out += "_base64\":\"";
    put_base64(out, bytes);
    out += '"';
  }
}

template <class Out>
void append_event(Out& out, const Event& event) {
  out += "{\"operation\":\"";
  out += to_string(event.operation);
  out += '"';
  if (event.operation == Operation::batch) {
    out += ",\"operations\":[";
    for (std::size_t i = 0; i < event.operations.size(); ++i) {
      if (i) out += ',';
      append_event(out, event.operations[i]);
      out += '}';
    }
    out += ']';
    return;
  }
  append_bytes(out, "path", event.path);
  if (event.operation == Operation::write) {
    append_bytes(out, "content", event.content);
  }
  if (event.is_directory) out += ",\"is_directory\":true";
  if (event.condition.kind == Condition::Kind::if_version) {
    append_bytes(out, "if_version", event.condition.version);
  }
  if (event.condition.kind == Condition::Kind::if_absent) out += ",\"if_absent\":true";
}

template <class Out>
void append_tail(Out& out, std::optional<std::uint64_t> id) {
  out += ",\"contract_version\":";
  out += std::to_string(version);
  if (id) {
    out += ",\"id\":";
    out += std::to_string(*id);
  }
  out += '}';
}

// --- Reading an answer as it arrives -------------------------------------------------------
//
// A provider's answer is read by Boost.JSON's basic_parser straight into the response
// model: no tree of values is built, a long string is appended as its pieces come, and
// data_base64 is decoded on the way. The rules are checked when each object ends, in the
// order a reader of the finished document would check them, and the first broken one is
// kept: the answer is still read to its end, because malformed JSON anywhere is reported
// first (response_not_json), as it would be by parsing the whole text.

// What a member's value was, the last time its key appeared (a parsed object keeps the last
// of repeated keys).
enum class Kind : unsigned char { absent, null, string, boolean, unsigned_integer, other_number, array, object };

bool present(Kind k) noexcept { return k != Kind::absent && k != Kind::null; }

enum class Member : unsigned char {
  other, success, data, data_base64, version, version_base64, error, error_code, entries, overall_success, id, results
};

Member member_of(std::string_view key) noexcept {
  static constexpr std::array<std::pair<std::string_view, Member>, 11> members{{
      {"success", Member::success},
      {"data", Member::data},
      {"data_base64", Member::data_base64},
      {"version", Member::version},
      {"version_base64", Member::version_base64},
      {"error", Member::error},
      {"error_code", Member::error_code},
      {"entries", Member::entries},
      {"overall_success", Member::overall_success},
      {"id", Member::id},
      {"results", Member::results},
  }};
  for (const auto& [name, m] : members)
    if (name == key) return m;
  return Member::other;
}

// A broken rule, turned into the violation once the whole answer has been seen (the
// message quotes its start and names its size).
struct Broken {
  const Event* event;
  std::string_view rule;
  std::string what;
};

// One answer object being read: the top-level answer, or one of a batch's results.
struct AnswerFrame {
  explicit AnswerFrame(const Event* e) : event(e) {}
  const Event* event;
  Member member = Member::other;  // whose value comes next
  Kind success = Kind::absent, overall_success = Kind::absent;
  bool success_value = false, overall_success_value = false;
  Kind data = Kind::absent, version = Kind::absent, error = Kind::absent, error_code = Kind::absent;
  std::string data_text, version_text, error_text, error_code_text;
  Kind data_base64 = Kind::absent;
  std::string decoded;
  text::Base64Decoder decoder;
  bool base64_valid = true;
  Kind version_base64 = Kind::absent;  // a version that is not UTF-8
  std::string version_encoded;
  Kind entries = Kind::absent;
  std::vector<Entry> entry_list;
  bool entry_broken = false;
  std::string_view entry_rule = rule::entry_shape;  // the first broken entry's rule
  Kind id = Kind::absent;
  std::uint64_t id_value = 0;
  Kind results = Kind::absent;
  std::vector<Response> result_list;
  std::optional<Broken> result_broken;  // the first result that broke a rule
  std::size_t results_seen = 0;

  // The event of the next result: the batch's operation at that index (beyond them,
  // batch_result_count catches the surplus later).
  const Event* next_result_event() {
    std::size_t i = results_seen++;
    return i < event->operations.size() ? &event->operations[i] : event;
  }

  // A new value for `member` begins: what an earlier one with the same key left goes.
  void begin(Kind kind) {
    switch (member) {
      case Member::success: success = kind; break;
      case Member::overall_success: overall_success = kind; break;
      case Member::data: data = kind, data_text.clear(); break;
      case Member::version: version = kind, version_text.clear(); break;
      case Member::error: error = kind, error_text.clear(); break;
      case Member::error_code: error_code = kind, error_code_text.clear(); break;
      case Member::data_base64:
        data_base64 = kind, decoded.clear(), decoder = {}, base64_valid = true;
        break;
      case Member::version_base64: version_base64 = kind, version_encoded.clear(); break;
      case Member::entries:
        entries = kind, entry_list.clear(), entry_broken = false, entry_rule = rule::entry_shape;
        break;
      case Member::id: id = kind; break;
      case Member::results:
        results = kind, result_list.clear(), result_broken.reset(), results_seen = 0;
        break;
      case Member::other: break;
    }
  }

  void string_part(std::string_view part) {
    switch (member) {
      case Member::data: data_text.append(part); break;
      case Member::version: version_text.append(part); break;
      case Member::error: error_text.append(part); break;
      case Member::error_code: error_code_text.append(part); break;
      case Member::data_base64: decoder.feed(part, decoded); break;
      case Member::version_base64:
        if (version_encoded.size() < limits::version_bytes * 2) version_encoded.append(part);
        break;
      default: break;
    }
  }

  void string_end() {
    if (member == Member::data_base64) base64_valid = decoder.finish(decoded);
  }

  void add_result(std::variant<Response, Broken> outcome) {
    if (result_broken) return;  // only the first broken one is reported
    if (auto* broken = std::get_if<Broken>(&outcome))
      result_broken = std::move(*broken), result_list.clear();
    else
      result_list.push_back(std::move(std::get<Response>(outcome)));
  }

  // The model, or the first rule broken, in the order the rules are documented.
  std::variant<Response, Broken> conclude() {
    auto broken = [&](std::string_view rule_id, std::string what) { return Broken{event, rule_id, std::move(what)}; };
    auto must_be_string = [&](std::string_view key) {
      std::string what = "\"";  // built step by step: GCC 12 warns (wrongly) about a + chain here
      what.append(key).append("\" must be a string");
      return broken(rule::field_type, std::move(what));
    };
    if (success != Kind::boolean) return broken(rule::field_type, "\"success\" must be present and a boolean");
    Response r;
    r.success = success_value;
    if (present(data)) {
      if (data != Kind::string) return must_be_string("data");
      r.data = std::move(data_text);
    }
    if (present(data_base64)) {
      if (data_base64 != Kind::string) return must_be_string("data_base64");
      if (r.data) return broken(rule::field_type, "a response carries \"data\" or \"data_base64\", not both");
      if (!base64_valid) return broken(rule::bad_base64, "\"data_base64\" is not valid base64 (RFC 4648, padded)");
      r.data = std::move(decoded);
    }
    if (present(version)) {
      if (version != Kind::string) return must_be_string("version");
      r.version = std::move(version_text);
    }
    if (present(version_base64)) {
      if (version_base64 != Kind::string) return must_be_string("version_base64");
      if (r.version) return broken(rule::field_type, "a response carries \"version\" or \"version_base64\", not both");
      auto decoded_version = text::base64_decode(version_encoded);
      if (!decoded_version)
        return broken(rule::bad_base64, "\"version_base64\" is not valid base64 (RFC 4648, padded)");
      r.version = std::move(*decoded_version);
    }
    if (present(error)) {
      if (error != Kind::string) return must_be_string("error");
      r.error = std::move(error_text);
    }
    if (present(error_code)) {
      if (error_code != Kind::string) return must_be_string("error_code");
      // Unknown codes from newer providers degrade to io_error rather than failing the call.
      r.error_code = parse_error_code(error_code_text).value_or(ErrorCode::io_error);
    }
    if (present(entries)) {
      if (entries != Kind::array) return broken(rule::field_type, "\"entries\" must be an array");
      if (entry_broken && entry_rule == rule::bad_base64)
        return broken(rule::bad_base64, "an entry's \"path_base64\" is not valid base64 (RFC 4648, padded)");
      if (entry_broken)
        return broken(rule::entry_shape, "every entry needs a string \"path\" and a boolean \"is_directory\"");
      r.entries = std::move(entry_list);
    }
    if (present(overall_success)) {
      if (overall_success != Kind::boolean) return broken(rule::field_type, "\"overall_success\" must be a boolean");
      r.overall_success = overall_success_value;
    }
    if (present(id)) {
      if (id != Kind::unsigned_integer)
        return broken(rule::id_mismatch, "\"id\" must be the non-negative integer sent with the request");
      r.id = id_value;
    }
    if (present(results)) {
      if (results != Kind::array) return broken(rule::field_type, "\"results\" must be an array");
      if (result_broken) return std::move(*result_broken);
      r.results = std::move(result_list);
    }
    return r;
  }
};

// One of a list's entries being read.
struct EntryFrame {
  enum class Field : unsigned char { other, path, path_base64, is_directory } field = Field::other;
  Kind path = Kind::absent, path_base64 = Kind::absent, is_directory = Kind::absent;
  std::string path_text, path_encoded;
  bool is_directory_value = false;

  void begin(Kind kind) {
    if (field == Field::path) path = kind, path_text.clear();
    if (field == Field::path_base64) path_base64 = kind, path_encoded.clear();
    if (field == Field::is_directory) is_directory = kind;
  }

  // The entry, or why it has none: its shape, or a path_base64 that does not decode.
  std::variant<Entry, std::string_view> conclude() {
    bool has_path = path != Kind::absent, has_encoded = path_base64 != Kind::absent;
    if (is_directory != Kind::boolean || has_path == has_encoded) return rule::entry_shape;
    if (has_path) {
      if (path != Kind::string) return rule::entry_shape;
      return Entry{std::move(path_text), is_directory_value};
    }
    if (path_base64 != Kind::string) return rule::entry_shape;
    auto decoded = text::base64_decode(path_encoded);
    if (!decoded) return rule::bad_base64;
    return Entry{std::move(*decoded), is_directory_value};
  }
};

// The basic_parser handler: every JSON event lands in the frame it belongs to.
class AnswerHandler {
 public:
  // The limits json::parse applies, so both refuse the same documents.
  static constexpr std::size_t max_object_size = json::object::max_size();
  static constexpr std::size_t max_array_size = json::array::max_size();
  static constexpr std::size_t max_key_size = json::string::max_size();
  static constexpr std::size_t max_string_size = json::string::max_size();

  explicit AnswerHandler(const Event& event) : event_(event) {}

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }

  bool on_object_begin(json::error_code&) {
    if (skip_) return ++skip_, true;
    switch (place()) {
      case Place::root: open_answer(&event_); break;
      case Place::results: open_answer(answers_.back().next_result_event()); break;
      case Place::entries:
        entry_ = EntryFrame{};
        places_.push_back(Place::entry);
        break;
      case Place::answer: answers_.back().begin(Kind::object), skip_ = 1; break;
      case Place::entry: entry_.begin(Kind::object), skip_ = 1; break;
    }
    return true;
  }

  bool on_object_end(std::size_t, json::error_code&) {
    if (skip_) return --skip_, true;
    Place closed = places_.back();
    places_.pop_back();
    if (closed == Place::entry) {
      AnswerFrame& list = answers_.back();
      auto entry = entry_.conclude();
      if (auto* rule_id = std::get_if<std::string_view>(&entry)) {
        if (!list.entry_broken) list.entry_rule = *rule_id;
        list.entry_broken = true, list.entry_list.clear();
      } else if (!list.entry_broken) {
        list.entry_list.push_back(std::move(std::get<Entry>(entry)));
      }
      return true;
    }
    auto outcome = answers_.back().conclude();
    answers_.pop_back();
    if (answers_.empty())
      outcome_ = std::move(outcome);
    else
      answers_.back().add_result(std::move(outcome));
    return true;
  }

  bool on_array_begin(json::error_code&) {
    if (skip_) return ++skip_, true;
    switch (place()) {
      case Place::answer: {
        AnswerFrame& answer = answers_.back();
        answer.begin(Kind::array);
        if (answer.member == Member::entries)
          places_.push_back(Place::entries);
        else if (answer.member == Member::results)
          places_.push_back(Place::results);
        else
          skip_ = 1;
        return true;
      }
      case Place::entry: entry_.begin(Kind::array); break;
      default: not_an_object(); break;
    }
    skip_ = 1;
    return true;
  }

  bool on_array_end(std::size_t, json::error_code&) {
    if (skip_) return --skip_, true;
    places_.pop_back();
    return true;
  }

  bool on_key_part(json::string_view part, std::size_t, json::error_code&) {
    key_.append(part.data(), std::min(part.size(), longest_key - std::min(key_.size(), longest_key)));
    return true;
  }
  bool on_key(json::string_view part, std::size_t n, json::error_code& ec) {
    on_key_part(part, n, ec);
    if (!skip_) {
      // A key longer than every known one names none of them.
      std::string_view key = key_.size() < longest_key ? std::string_view(key_) : std::string_view();
      if (place() == Place::answer) {
        answers_.back().member = member_of(key);
      } else {
        entry_.field = key == "path"           ? EntryFrame::Field::path
                       : key == "path_base64"  ? EntryFrame::Field::path_base64
                       : key == "is_directory" ? EntryFrame::Field::is_directory
                                               : EntryFrame::Field::other;
      }
    }
    key_.clear();
    return true;
  }

  bool on_string_part(json::string_view part, std::size_t, json::error_code&) {
    if (skip_) return true;
    if (!in_string_) {
      in_string_ = true;
      scalar(Kind::string);
    }
    if (place() == Place::answer) answers_.back().string_part({part.data(), part.size()});
    if (place() == Place::entry && entry_.field == EntryFrame::Field::path) entry_.path_text.append(part.data(), part.size());
    if (place() == Place::entry && entry_.field == EntryFrame::Field::path_base64)
      entry_.path_encoded.append(part.data(), part.size());
    return true;
  }
  bool on_string(json::string_view part, std::size_t n, json::error_code& ec) {
    on_string_part(part, n, ec);
    in_string_ = false;
    if (!skip_ && place() == Place::answer) answers_.back().string_end();
    return true;
  }

  bool on_number_part(json::string_view, json::error_code&) { return true; }
  bool on_int64(std::int64_t i, json::string_view, json::error_code&) {
    if (i >= 0) return on_unsigned(static_cast<std::uint64_t>(i));
    scalar(Kind::other_number);
    return true;
  }
  bool on_uint64(std::uint64_t u, json::string_view, json::error_code&) { return on_unsigned(u); }
  bool on_double(double, json::string_view, json::error_code&) {
    scalar(Kind::other_number);
    return true;
  }
  bool on_bool(bool b, json::error_code&) {
    if (scalar(Kind::boolean)) {
      if (place() == Place::answer) {
        AnswerFrame& answer = answers_.back();
        if (answer.member == Member::success) answer.success_value = b;
        if (answer.member == Member::overall_success) answer.overall_success_value = b;
      } else if (place() == Place::entry && entry_.field == EntryFrame::Field::is_directory) {
        entry_.is_directory_value = b;
      }
    }
    return true;
  }
  bool on_null(json::error_code&) {
    scalar(Kind::null);
    return true;
  }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

  bool root_not_object() const noexcept { return root_not_object_; }
  std::optional<std::variant<Response, Broken>>& outcome() noexcept { return outcome_; }

 private:
  enum class Place : unsigned char { root, answer, entries, entry, results };
  static constexpr std::size_t longest_key = 16;  // "overall_success" and one more

  Place place() const noexcept { return places_.empty() ? Place::root : places_.back(); }

  void open_answer(const Event* event) {
    answers_.emplace_back(event);
    places_.push_back(Place::answer);
  }

  // A value that should have been an object: the answer itself, one of its results, or an entry.
  void not_an_object() {
    switch (place()) {
      case Place::root: root_not_object_ = true; break;
      case Place::results: {
        AnswerFrame& batch = answers_.back();
        batch.add_result(Broken{batch.next_result_event(), rule::response_not_object, "the response must be one JSON object"});
        break;
      }
      case Place::entries: answers_.back().entry_broken = true, answers_.back().entry_list.clear(); break;
      default: break;
    }
  }

  // A value that is not an object or an array begins; true when it is a member's value.
  bool scalar(Kind kind) {
    if (skip_) return false;
    switch (place()) {
      case Place::answer: answers_.back().begin(kind); return true;
      case Place::entry: entry_.begin(kind); return true;
      default: not_an_object(); return false;
    }
  }

  bool on_unsigned(std::uint64_t u) {
    if (scalar(Kind::unsigned_integer) && place() == Place::answer && answers_.back().member == Member::id)
      answers_.back().id_value = u;
    return true;
  }

  const Event& event_;
  std::vector<Place> places_;
  std::vector<AnswerFrame> answers_;
  EntryFrame entry_;
  std::string key_;
  std::size_t skip_ = 0;  // depth inside a value nobody reads
  bool in_string_ = false;
  bool root_not_object_ = false;
  std::optional<std::variant<Response, Broken>> outcome_;
};
}  // namespace

void put_bytes(json::object& out, std::string_view key, std::string_view bytes) {
  if (text::is_utf8(bytes))
    out[key] = bytes;
  else
    out[std::string(key) + "_base64"] = text::base64_encode(bytes);
}

std::string_view to_string(Operation op) noexcept {
  for (const auto& [value, name] : operation_names)
    if (value == op) return name;
  return "unknown";
}

std::optional<Operation> parse_operation(std::string_view name) noexcept {
  for (const auto& [value, n] : operation_names)
    if (n == name) return value;
  return std::nullopt;
}

std::string_view to_string(ErrorCode code) noexcept {
  for (const auto& [value, name] : error_code_names)
    if (value == code) return name;
  return "io_error";
}

std::optional<ErrorCode> parse_error_code(std::string_view name) noexcept {
  for (const auto& [value, n] : error_code_names)
    if (n == name) return value;
  return std::nullopt;
}

const Event* first_binary_write(const Event& event) noexcept {
  if (event.operation == Operation::write && !text::is_utf8(event.content)) return &event;
  for (const auto& op : event.operations)
    if (op.operation == Operation::write && !text::is_utf8(op.content)) return &op;
  return nullptr;
}

std::string serialize(const Event& event, std::optional<std::uint64_t> id) {
  std::string out;
  out.reserve(event_size(event) + 1);  // and the newline a transport frames it with
  append_event(out, event);
  append_tail(out, id);
  return out;
}

void serialize(const Event& event, std::optional<std::uint64_t> id, const std::function<void(std::string_view)>& put) {
  Pieces out(put);
  append_event(out, event);
  append_tail(out, id);
  out.flush();
}

namespace raw {

std::string announcing(std::string_view prefix, std::size_t size, std::string_view object) {
  std::string line(prefix);
  line += std::to_string(size);
  line += ',';
  line += object.substr(1);
  return line;
}

std::optional<std::size_t> announced(std::string_view line, std::string_view prefix) {
  if (!line.starts_with(prefix)) return std::nullopt;
  std::size_t size = 0;
  auto digits = line.substr(prefix.size());
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), size);
  if (ec != std::errc() || end == digits.data() || end == digits.data() + digits.size() || *end != ',')
    return std::nullopt;
  return size;
}

std::string write_request(const Event& write, std::uint64_t id) {
  Event shell{write.operation, write.path, {}, write.is_directory, {}, write.condition};
  return announcing(content_length_prefix, write.content.size(), serialize(shell, id));
}

std::string request(const Event& event, std::uint64_t id) {
  return event.operation == Operation::write ? write_request(event, id) : serialize(event, id);
}

std::size_t data_size(std::string_view answer_line) {
  return announced(answer_line, data_length_prefix).value_or(0);
}

}  // namespace raw

Event parse_event(const json::value& value, std::string_view where) {
  auto bad = [&](const std::string& why) {
    return errors::invalid_argument(std::string(where) + ": " + why, {{"event", std::string(where)}});
  };
  const auto* obj = value.if_object();
  if (!obj) throw bad("an event must be a JSON object");
  const auto* op = obj->if_contains("operation");
  if (!op || !op->is_string()) throw bad("\"operation\" must be a string");
  auto operation = parse_operation(op->get_string());
  if (!operation)
    throw bad("unknown operation \"" + std::string(op->get_string()) +
              "\" (expected read, write, list, delete, ensure_dir, check or batch)");
  if (*operation == Operation::batch) throw bad("a batch cannot contain another batch");
  // A string under `key`, or bytes under `key` + "_base64"; `required` or not, never both.
  auto bytes = [&](std::string_view key, bool required) -> std::optional<std::string> {
    std::string encoded_key = std::string(key) + "_base64";
    const auto* plain = obj->if_contains(key);
    const auto* encoded = obj->if_contains(encoded_key);
    if (plain && plain->is_null()) plain = nullptr;
    if (encoded && encoded->is_null()) encoded = nullptr;
    if (plain && encoded) throw bad("give \"" + std::string(key) + "\" or \"" + encoded_key + "\", not both");
    if (!plain && !encoded) {
      if (required) throw bad("a string \"" + std::string(key) + "\" (or \"" + encoded_key + "\") is required");
      return std::nullopt;
    }
    if (plain) {
      if (!plain->is_string()) throw bad("\"" + std::string(key) + "\" must be a string");
      return std::string(plain->get_string());
    }
    if (!encoded->is_string()) throw bad("\"" + encoded_key + "\" must be a string");
    auto decoded = text::base64_decode(encoded->get_string());
    if (!decoded) throw bad("\"" + encoded_key + "\" is not valid base64 (RFC 4648, padded)");
    return decoded;
  };
  Event event;
  event.operation = *operation;
  event.path = *bytes("path", true);
  if (event.operation == Operation::write) event.content = *bytes("content", true);
  if (const auto* dir = obj->if_contains("is_directory")) {
    if (!dir->is_bool()) throw bad("\"is_directory\" must be a boolean");
    event.is_directory = dir->get_bool();
  }
  const auto* if_absent = obj->if_contains("if_absent");
  const bool checks = event.operation == Operation::check;
  if (auto version = bytes("if_version", false)) {
    if (event.operation != Operation::write && event.operation != Operation::remove && !checks)
      throw bad("\"if_version\" applies to write, delete and check only");
    if (version->empty()) throw bad("\"if_version\" must be a non-empty string (a version from an earlier read)");
    event.condition = Condition::matching(std::move(*version));
  }
  if (if_absent && !if_absent->is_null()) {
    if (!if_absent->is_bool()) throw bad("\"if_absent\" must be a boolean");
    if (if_absent->get_bool()) {
      if (event.operation != Operation::write && !checks) throw bad("\"if_absent\" applies to write and check only");
      if (event.condition) throw bad("\"if_version\" and \"if_absent\" cannot both be set");
      event.condition = Condition::absent();
    }
  }
  if (checks && !event.condition) throw bad("a check needs a condition: \"if_version\" or \"if_absent\": true");
  return event;
}

namespace {

// A batch from user input, read element by element: each event is built as a small tree of
// values (the way json::parse builds one), read into an Event and dropped, so a batch of
// 100,000 events never exists as one tree. The first event at fault is kept until the whole
// input is read: malformed JSON anywhere is reported first, as by parsing it whole.
class EventsHandler {
 public:
  static constexpr std::size_t max_object_size = json::object::max_size();
  static constexpr std::size_t max_array_size = json::array::max_size();
  static constexpr std::size_t max_key_size = json::string::max_size();
  static constexpr std::size_t max_string_size = json::string::max_size();

  explicit EventsHandler(std::vector<Event>& events) : events_(events) {}

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_object_begin(json::error_code&) { return open(false); }
  bool on_object_end(std::size_t n, json::error_code&) {
    return close([&] { values_.push_object(n); });
  }
  bool on_array_begin(json::error_code&) { return open(true); }
  bool on_array_end(std::size_t n, json::error_code&) {
    return close([&] { values_.push_array(n); });
  }
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) { return push([&] { values_.push_chars(s); }); }
  bool on_key(json::string_view s, std::size_t, json::error_code&) { return push([&] { values_.push_key(s); }); }
  bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
    return push([&] { values_.push_chars(s); });
  }
  bool on_string(json::string_view s, std::size_t, json::error_code&) { return scalar([&] { values_.push_string(s); }); }
  bool on_number_part(json::string_view, json::error_code&) { return true; }
  bool on_int64(std::int64_t i, json::string_view, json::error_code&) { return scalar([&] { values_.push_int64(i); }); }
  bool on_uint64(std::uint64_t u, json::string_view, json::error_code&) { return scalar([&] { values_.push_uint64(u); }); }
  bool on_double(double d, json::string_view, json::error_code&) { return scalar([&] { values_.push_double(d); }); }
  bool on_bool(bool b, json::error_code&) { return scalar([&] { values_.push_bool(b); }); }
  bool on_null(json::error_code&) { return scalar([&] { values_.push_null(); }); }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

  bool root_is_array() const noexcept { return root_is_array_; }
  const std::optional<Error>& fault() const noexcept { return fault_; }

 private:
  // Inside the top-level array, depth 1 holds the events.
  bool in_array() const noexcept { return root_is_array_ && depth_ >= 1; }

  bool open(bool array) {
    if (depth_ == 0) root_is_array_ = array;
    else if (depth_ == 1 && root_is_array_) begin_event();
    ++depth_;
    return true;
  }
  template <class Push>
  bool close(Push push) {
    --depth_;
    if (depth_ >= 1 && building_) push();
    if (depth_ == 1 && root_is_array_) end_event();
    return true;
  }
  template <class Push>
  bool push(Push p) {
    if (in_array() && building_) p();
    return true;
  }
  template <class Push>
  bool scalar(Push p) {
    if (depth_ == 0) root_is_array_ = false;
    if (!in_array()) return true;
    if (depth_ == 1) begin_event();
    if (building_) p();
    if (depth_ == 1) end_event();
    return true;
  }

  void begin_event() {
    building_ = !fault_;  // after a fault, the events are only read through, not built
    if (building_) values_.reset();
  }
  void end_event() {
    if (!building_) return;
    building_ = false;
    json::value value = values_.release();
    try {
      events_.push_back(parse_event(value, "batch event #" + std::to_string(events_.size() + 1)));
    } catch (const Error& e) {
      fault_ = e;
    }
  }

  std::vector<Event>& events_;
  json::value_stack values_;
  std::size_t depth_ = 0;
  bool root_is_array_ = false;
  bool building_ = false;
  std::optional<Error> fault_;
};

}  // namespace

std::vector<Event> parse_events(std::string_view text, std::string_view source) {
  std::string from = "batch input from " + std::string(source);
  std::vector<Event> events;
  json::basic_parser<EventsHandler> parser(json::parse_options{}, events);
  json::error_code ec;
  std::size_t used = parser.write_some(false, text.data(), text.size(), ec);
  if (!ec && used < text.size()) ec = json::error::extra_data;
  if (ec) {
    parse_json_input(text, from);  // names the mistake by line and column
    throw errors::invalid_argument(from + " is not valid JSON (" + ec.message() + ")");
  }
  if (!parser.handler().root_is_array()) throw errors::invalid_argument(from + " must be a JSON array of events");
  if (const auto& fault = parser.handler().fault()) throw *fault;
  return events;
}

json::object to_json(const Entry& e) {
  json::object entry;
  put_bytes(entry, "path", e.path);
  entry["is_directory"] = e.is_directory;
  return entry;
}

json::object to_json(const Response& r) {
  json::object out;
  out["success"] = r.success;
  if (r.data) put_bytes(out, "data", *r.data);
  if (r.version) put_bytes(out, "version", *r.version);
  if (r.entries) {
    json::array entries;
    entries.reserve(r.entries->size());
    for (const auto& e : *r.entries) entries.emplace_back(to_json(e));
    out["entries"] = std::move(entries);
  }
  if (r.error) out["error"] = *r.error;
  if (!r.success) out["error_code"] = to_string(r.effective_error_code());
  if (r.results) {
    json::array results;
    results.reserve(r.results->size());
    for (const auto& sub : *r.results) results.emplace_back(to_json(sub));
    out["results"] = std::move(results);
  }
  if (r.overall_success) out["overall_success"] = *r.overall_success;
  return out;
}

void write_members(JsonWriter& out, const Response& r) {
  out.key("success");
  out.boolean(r.success);
  if (r.data) out.bytes_member("data", *r.data);
  if (r.version) out.bytes_member("version", *r.version);
  if (r.entries) {
    out.key("entries");
    out.begin_array();
    for (const auto& e : *r.entries) {
      out.begin_object();
      out.bytes_member("path", e.path);
      out.key("is_directory");
      out.boolean(e.is_directory);
      out.end_object();
    }
    out.end_array();
  }
  if (r.error) {
    out.key("error");
    out.string(*r.error);
  }
  if (!r.success) {
    out.key("error_code");
    out.string(to_string(r.effective_error_code()));
  }
  if (r.results) {
    out.key("results");
    out.begin_array();
    for (const auto& sub : *r.results) {
      out.begin_object();
      write_members(out, sub);
      out.end_object();
    }
    out.end_array();
  }
  if (r.overall_success) {
    out.key("overall_success");
    out.boolean(*r.overall_success);
  }
}

struct ResponseParser::Impl {
  Impl(const Event& e, Origin o) : event(e), origin(o), parser(json::parse_options{}, e) {}
  const Event& event;
  Origin origin;
  json::basic_parser<AnswerHandler> parser;
  json::error_code ec;
  std::string start;       // the first bytes, to quote
  std::size_t size = 0;    // bytes in all
  bool blank = true;       // nothing but whitespace so far

  Error broken(const Event& e, std::string_view rule_id, std::string_view what) const {
    return violation(origin, e, rule_id, what, start, size);
  }
};

ResponseParser::ResponseParser(const Event& event, Origin origin) : impl_(std::make_unique<Impl>(event, origin)) {}
ResponseParser::~ResponseParser() = default;

void ResponseParser::feed(std::string_view piece) {
  Impl& m = *impl_;
  m.size += piece.size();
  if (m.start.size() < quoted_answer_bytes) m.start.append(piece.substr(0, quoted_answer_bytes - m.start.size()));
  if (m.blank) m.blank = piece.find_first_not_of(" \t\r\n") == std::string_view::npos;
  if (m.ec || piece.empty()) return;
  std::size_t used = m.parser.write_some(true, piece.data(), piece.size(), m.ec);
  // The value ended and something other than whitespace follows it.
  if (!m.ec && used < piece.size()) m.ec = json::error::extra_data;
}

Response ResponseParser::finish() {
  Impl& m = *impl_;
  if (m.blank) throw m.broken(m.event, rule::response_empty, "the module wrote no response");
  static constexpr char nothing = 0;
  if (!m.ec) m.parser.write_some(false, &nothing, 0, m.ec);
  if (m.ec)
    throw m.broken(m.event, rule::response_not_json, "the response must be one JSON object (" + m.ec.message() + ")");
  AnswerHandler& read = m.parser.handler();
  if (read.root_not_object()) throw m.broken(m.event, rule::response_not_object, "the response must be one JSON object");
  auto& outcome = *read.outcome();
  if (auto* broken = std::get_if<Broken>(&outcome)) throw m.broken(*broken->event, broken->rule, broken->what);
  Response response = std::move(std::get<Response>(outcome));
  // Kept to quote the provider's own bytes should a later check find a rule broken.
  response.answer_start = m.start;
  response.answer_size = m.size;
  return response;
}

std::size_t ResponseParser::size() const noexcept { return impl_->size; }
std::string_view ResponseParser::start() const noexcept { return impl_->start; }

Response parse_response(std::string_view text, const Event& event, Origin origin) {
  ResponseParser parser(event, origin);
  parser.feed(text);
  return parser.finish();
}

namespace {

// `answer`: the top-level response, whose text a violation quotes (a batch's results have
// none of their own).
void check(const Response& r, const Event& event, Origin origin, const Response& answer) {
  auto fail = [&](std::string_view rule_id, std::string_view what) {
    if (answer.answer_size) throw violation(origin, event, rule_id, what, answer.answer_start, answer.answer_size);
    // A native plugin answered through the ABI: the model is all there is to show.
    throw violation(origin, event, rule_id, what, json::serialize(to_json(r)));
  };
  if (r.success && r.error)
    fail(rule::success_with_error, "a successful response must not carry an \"error\"");
  if (!r.success && (!r.error || r.error->empty()))
    fail(rule::failure_without_error, "a failed response must say why in \"error\"");
  if (!r.success) return;
  if (r.version && (r.version->empty() || r.version->size() > limits::version_bytes))
    fail(rule::version_shape, "a version must be 1 to " + std::to_string(limits::version_bytes) + " bytes long (got " +
                                  std::to_string(r.version->size()) + ")");
  switch (event.operation) {
    case Operation::read:
      if (!r.data) fail(rule::read_without_data, "a successful read must return its content in \"data\"");
      break;
    case Operation::list: {
      if (!r.entries) fail(rule::list_without_entries, "a successful list must return an \"entries\" array");
      std::string_view folder = event.path;
      while (folder.size() > 1 && folder.back() == '/') folder.remove_suffix(1);
      std::string prefix(folder);
      if (prefix != "/") prefix += '/';
      std::vector<std::string_view> seen;
      seen.reserve(r.entries->size());
      for (const auto& e : *r.entries) {
        if (e.path.empty() || e.path.front() != '/')
          fail(rule::entry_not_absolute, "every entry's path must be absolute; got \"" + e.path + "\"");
        std::string_view name = std::string_view(e.path).substr(std::min(prefix.size(), e.path.size()));
        // A child has a name a path may hold: not ".", "..", the reserved temp name, or a NUL.
        if (!e.path.starts_with(prefix) || name.empty() || name.find('/') != std::string_view::npos ||
            name == "." || name == ".." || name == ".homeboy-tmp" || name.find('\0') != std::string_view::npos) {
          std::string shown = text::printable_utf8(e.path);
          for (std::size_t at = shown.find('\0'); at != std::string::npos; at = shown.find('\0', at))
            shown.replace(at, 1, "\\0");
          fail(rule::entry_not_child, "every entry must be an immediate child of " + std::string(folder) +
                                          " with a name a path may hold; got \"" + shown + "\"");
        }
        seen.push_back(e.path);
      }
      if (!std::is_sorted(seen.begin(), seen.end())) std::sort(seen.begin(), seen.end());  // the facade sorts first
      if (auto dup = std::adjacent_find(seen.begin(), seen.end()); dup != seen.end())
        fail(rule::entry_repeated, "every entry must appear once; \"" + std::string(*dup) + "\" is repeated");
      break;
    }
    case Operation::batch: {
      if (!r.results) fail(rule::batch_without_results, "a successful batch must return a \"results\" array");
      if (r.results->size() != event.operations.size())
        fail(rule::batch_result_count, "a batch must return one result per operation (sent " +
                                           std::to_string(event.operations.size()) + ", got " +
                                           std::to_string(r.results->size()) + ")");
      bool all_ok = true;
      for (std::size_t i = 0; i < r.results->size(); ++i) {
        check((*r.results)[i], event.operations[i], origin, answer);
        all_ok = all_ok && (*r.results)[i].success;
      }
      if (r.overall_success && *r.overall_success != all_ok)
        fail(rule::overall_success_mismatch,
             "\"overall_success\" must be true exactly when every operation succeeded");
      break;
    }
    default:
      break;
  }
}

}  // namespace

void validate_response(const Response& r, const Event& event, Origin origin) { check(r, event, origin, r); }

Error violation(Origin origin, const Event& event, std::string_view rule_id, std::string_view what,
                std::string_view received) {
  return violation(origin, event, rule_id, what, received, received.size());
}

Error violation(Origin origin, const Event& event, std::string_view rule_id, std::string_view what,
                std::string_view received_start, std::size_t received_size) {
  std::string op(to_string(event.operation));
  std::string message = "module '" + std::string(origin.module_id) + "' broke the storage contract on '" + op +
                        "': " + text::printable_utf8(what) + " [rule " + std::string(rule_id) + "]";
  std::string seen = excerpt_of_start(received_start, received_size);
  message += received_size == 0 ? "; it answered nothing" : "; it answered: " + seen;
  return Error(Errc::storage_contract_violation, std::move(message),
               {{"module", origin.module_id}, {"operation", op}, {"rule", rule_id}, {"response_excerpt", seen}},
               {"Run `homeboy module test " + std::string(origin.module_id) +
                "` to check the module against the storage contract."});
}

}  // namespace homeboy::contract
