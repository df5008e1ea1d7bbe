// s3::guess_content_type: the built-in extension table.
#include <boost/test/unit_test.hpp>

#include <string>
#include <string_view>

#include "s3/content_type.hpp"

using s3up::s3::guess_content_type;

BOOST_AUTO_TEST_SUITE(content_type)

BOOST_AUTO_TEST_CASE(common_extensions) {
  BOOST_TEST(guess_content_type("index.html") == "text/html");
  BOOST_TEST(guess_content_type("index.htm") == "text/html");
  BOOST_TEST(guess_content_type("site.css") == "text/css");
  BOOST_TEST(guess_content_type("app.js") == "text/javascript");
  BOOST_TEST(guess_content_type("mod.mjs") == "text/javascript");
  BOOST_TEST(guess_content_type("data.json") == "application/json");
  BOOST_TEST(guess_content_type("feed.xml") == "application/xml");
  BOOST_TEST(guess_content_type("notes.txt") == "text/plain");
  BOOST_TEST(guess_content_type("README.md") == "text/markdown");
  BOOST_TEST(guess_content_type("table.csv") == "text/csv");
  BOOST_TEST(guess_content_type("logo.png") == "image/png");
  BOOST_TEST(guess_content_type("photo.jpg") == "image/jpeg");
  BOOST_TEST(guess_content_type("photo.jpeg") == "image/jpeg");
  BOOST_TEST(guess_content_type("anim.gif") == "image/gif");
  BOOST_TEST(guess_content_type("pic.webp") == "image/webp");
  BOOST_TEST(guess_content_type("icon.svg") == "image/svg+xml");
  BOOST_TEST(guess_content_type("favicon.ico") == "image/vnd.microsoft.icon");
  BOOST_TEST(guess_content_type("pic.avif") == "image/avif");
  BOOST_TEST(guess_content_type("doc.pdf") == "application/pdf");
  BOOST_TEST(guess_content_type("a.zip") == "application/zip");
  BOOST_TEST(guess_content_type("a.tgz") == "application/gzip");
  BOOST_TEST(guess_content_type("a.bz2") == "application/x-bzip2");
  BOOST_TEST(guess_content_type("a.xz") == "application/x-xz");
  BOOST_TEST(guess_content_type("a.zst") == "application/zstd");
  BOOST_TEST(guess_content_type("a.tar") == "application/x-tar");
  BOOST_TEST(guess_content_type("a.7z") == "application/x-7z-compressed");
  BOOST_TEST(guess_content_type("song.mp3") == "audio/mpeg");
  BOOST_TEST(guess_content_type("clip.mp4") == "video/mp4");
  BOOST_TEST(guess_content_type("clip.webm") == "video/webm");
  BOOST_TEST(guess_content_type("a.ogg") == "audio/ogg");
  BOOST_TEST(guess_content_type("a.wav") == "audio/wav");
  BOOST_TEST(guess_content_type("a.flac") == "audio/flac");
  BOOST_TEST(guess_content_type("f.woff") == "font/woff");
  BOOST_TEST(guess_content_type("f.woff2") == "font/woff2");
  BOOST_TEST(guess_content_type("f.ttf") == "font/ttf");
  BOOST_TEST(guess_content_type("f.otf") == "font/otf");
  BOOST_TEST(guess_content_type("m.wasm") == "application/wasm");
  BOOST_TEST(guess_content_type("c.yaml") == "application/yaml");
  BOOST_TEST(guess_content_type("c.yml") == "application/yaml");
  BOOST_TEST(guess_content_type("Cargo.toml") == "application/toml");
  BOOST_TEST(guess_content_type("run.sh") == "application/x-sh");
  BOOST_TEST(guess_content_type("x.py") == "text/x-python");
  BOOST_TEST(guess_content_type("x.c") == "text/x-c");
  BOOST_TEST(guess_content_type("x.h") == "text/x-c");
  BOOST_TEST(guess_content_type("x.cpp") == "text/x-c++");
  BOOST_TEST(guess_content_type("x.hpp") == "text/x-c++");
  BOOST_TEST(guess_content_type("x.rs") == "text/x-rust");
  BOOST_TEST(guess_content_type("x.go") == "text/x-go");
  BOOST_TEST(guess_content_type("X.java") == "text/x-java-source");
}

BOOST_AUTO_TEST_CASE(case_insensitive) {
  BOOST_TEST(guess_content_type("INDEX.HTML") == "text/html");
  BOOST_TEST(guess_content_type("Photo.JPG") == "image/jpeg");
  BOOST_TEST(guess_content_type("a.WoFf2") == "font/woff2");
}

BOOST_AUTO_TEST_CASE(only_the_last_component_counts) {
  BOOST_TEST(guess_content_type("dir.d/file") == "");
  BOOST_TEST(guess_content_type("assets/v1.2/app.css") == "text/css");
  BOOST_TEST(guess_content_type("a/b/c/page.html") == "text/html");
}

BOOST_AUTO_TEST_CASE(unknown_gives_empty) {
  BOOST_TEST(guess_content_type("Makefile") == "");
  BOOST_TEST(guess_content_type("") == "");
  BOOST_TEST(guess_content_type("a.") == "");
  BOOST_TEST(guess_content_type("a.unknownext") == "");
  BOOST_TEST(guess_content_type("a.verylongextensionname") == "");
  BOOST_TEST(guess_content_type("a.ht") == "");
  BOOST_TEST(guess_content_type("a.htmlx") == "");
  BOOST_TEST(guess_content_type("dir/") == "");
}

BOOST_AUTO_TEST_CASE(dotfiles_have_no_extension) {
  BOOST_TEST(guess_content_type(".bashrc") == "");
  BOOST_TEST(guess_content_type("home/.profile") == "");
  BOOST_TEST(guess_content_type(".html") == "");
  BOOST_TEST(guess_content_type("..gz") == "");
  BOOST_TEST(guess_content_type(".config.json") == "application/json");
}

BOOST_AUTO_TEST_CASE(double_extensions_use_the_last) {
  BOOST_TEST(guess_content_type("a.tar.gz") == "application/gzip");
  BOOST_TEST(guess_content_type("a.tar.bz2") == "application/x-bzip2");
  BOOST_TEST(guess_content_type("bundle.min.js") == "text/javascript");
  BOOST_TEST(guess_content_type("data.json.zst") == "application/zstd");
}

BOOST_AUTO_TEST_SUITE_END()
