#include "homeboy/ids.hpp"

#include "homeboy/error.hpp"
#include "homeboy/text.hpp"

namespace homeboy {

std::optional<std::string> id_problem(std::string_view id) {
  if (id.empty()) return "it is empty";
  // A hidden name: left out of listings, migrations and archives (".", ".." name folders).
  if (id.front() == '.') return "it starts with '.'";
  if (id.find_first_of("/\\") != std::string_view::npos) return "it contains a slash or backslash";
  // C1 controls too: a CSI (U+009B) in a listing or a message is an escape sequence.
  if (text::has_control(id)) return "it contains a control character";
  // An id is text in homeboy.json, in references and in envelopes: bytes that are not UTF-8
  // would come back as something else (\xff) and no longer name the file.
  if (!text::is_utf8(id)) return "it is not UTF-8 text";
  if (id.size() > max_id_bytes) return "it is longer than " + std::to_string(max_id_bytes) + " bytes";
  return std::nullopt;
}

void check_id(std::string_view id, std::string_view what) {
  if (auto problem = id_problem(id))
    throw Error(Errc::config_invalid_id,
                "'" + excerpt(id, 80) + "' is not a valid " + std::string(what) + " id: " + *problem,
                {{"id", excerpt(id, max_id_bytes + 50)}});
}

}  // namespace homeboy
