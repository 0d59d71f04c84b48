// The one "did you mean" and the one id rule.
#define BOOST_TEST_MODULE suggest
#include <boost/test/unit_test.hpp>

#include "homeboy/error.hpp"
#include "homeboy/ids.hpp"
#include "homeboy/suggest.hpp"

using homeboy::suggest;
using Words = std::vector<std::string>;

BOOST_AUTO_TEST_CASE(typos_and_partial_names_find_what_was_meant) {
  Words groups{"storage", "module", "project", "server", "component"};
  BOOST_TEST(suggest("storag", groups) == Words{"storage"});
  BOOST_TEST(suggest("projet", groups) == Words{"project"});
  BOOST_TEST(suggest("sever", groups) == Words{"server"});
  Words commands{"status", "read", "write", "list", "delete", "ensure-dir", "batch"};
  BOOST_TEST(suggest("raed", commands) == Words{"read"}, "a swap of two letters is one edit");
  BOOST_TEST(suggest("lsit", commands) == Words{"list"});
  BOOST_TEST(suggest("ensuredir", commands) == Words{"ensure-dir"});
  BOOST_TEST(suggest("sqlite", Words{"builtin-filesystem", "sqlite-storage", "filesystem-php"}) ==
             Words{"sqlite-storage"});
  BOOST_TEST(suggest("storage", Words{"builtin-filesystem", "sqlite-storage"}) == Words{"sqlite-storage"},
             "ends with it");
}

BOOST_AUTO_TEST_CASE(no_noise) {
  BOOST_TEST(suggest("sho", Words{"blog", "web", "shop"}) == Words{"shop"});
  BOOST_TEST(suggest("sho", Words{"blog", "web"}).empty());
  BOOST_TEST(suggest("x", Words{"a", "b", "y"}).empty(), "one letter is too little to guess from");
  BOOST_TEST(suggest("zzzzzzzz", Words{"website", "docs"}).empty());
  BOOST_TEST(suggest("read", Words{"read"}).empty(), "what was typed is not suggested back");
  Words many{"web-1", "web-2", "web-3", "web-4", "web-5"};
  BOOST_TEST(suggest("web", many).size() == 3u, "a few at most");
  BOOST_TEST(homeboy::did_you_mean({"a", "b", "c"}) == "Did you mean 'a', 'b' or 'c'?");
  BOOST_TEST(homeboy::did_you_mean({}).empty());
}

BOOST_AUTO_TEST_CASE(prefixes_come_first_then_the_nearest) {
  Words ids{"website", "web-api", "old-website", "docs", "webhooks"};
  BOOST_TEST(suggest("web", ids) == (Words{"website", "web-api", "webhooks"}));
  BOOST_TEST(suggest("websit", ids) == Words{"website"});
  BOOST_TEST(suggest("dosc", ids) == Words{"docs"});
}

BOOST_AUTO_TEST_CASE(one_rule_for_every_id) {
  // Control characters are C0, DEL and C1 alike: U+009B (CSI) and U+0085 (NEL) as much as ESC.
  for (const std::string& bad : Words{"", ".", "..", ".hidden", "a/b", "a\\b", "a\nb", "tab\t", "esc\x1b[2J", "del\x7f",
                                      "evil\xC2\x9B" "2J", "nel\xC2\x85", "c1\xC2\x80", std::string(201, 'x')})
    BOOST_TEST_CONTEXT(bad) {
      BOOST_TEST(homeboy::id_problem(bad).has_value());
      BOOST_CHECK_EXCEPTION(homeboy::check_id(bad, "server"), homeboy::Error, [](const homeboy::Error& e) {
        return e.errc() == homeboy::Errc::config_invalid_id &&
               std::string(e.what()).find("is not a valid server id") != std::string::npos;
      });
    }
  // U+00A0 (C2 A0) and U+201B (E2 80 9B) are no controls, though their bytes look alike.
  for (const std::string& good : Words{"my-site_2.example", "sqlite-storage", "caf\xC3\xA9", "no\xC2\xA0" "break",
                                       "quote\xE2\x80\x9B", std::string(200, 'x')})
    BOOST_TEST(!homeboy::id_problem(good).has_value(), good);
}
