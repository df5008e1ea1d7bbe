#include "s3/content_type.hpp"

#include <algorithm>
#include <array>

namespace s3up::s3 {
namespace {

struct MediaType {
  std::string_view extension;  // lower case, without the '.'
  std::string_view type;
};

// Sorted by extension (bytewise) for binary search; checked at compile time below.
constexpr MediaType kTable[] = {
    {"3g2", "video/3gpp2"},
    {"3gp", "video/3gpp"},
    {"7z", "application/x-7z-compressed"},
    {"aac", "audio/aac"},
    {"ai", "application/postscript"},
    {"aif", "audio/x-aiff"},
    {"aiff", "audio/x-aiff"},
    {"apk", "application/vnd.android.package-archive"},
    {"apng", "image/apng"},
    {"appcache", "text/cache-manifest"},
    {"arw", "image/x-sony-arw"},
    {"asc", "application/pgp-signature"},
    {"atom", "application/atom+xml"},
    {"avi", "video/x-msvideo"},
    {"avif", "image/avif"},
    {"avro", "application/avro"},
    {"bin", "application/octet-stream"},
    {"bmp", "image/bmp"},
    {"bz", "application/x-bzip"},
    {"bz2", "application/x-bzip2"},
    {"c", "text/x-c"},
    {"cab", "application/vnd.ms-cab-compressed"},
    {"cc", "text/x-c++"},
    {"cjs", "text/javascript"},
    {"cmake", "text/x-cmake"},
    {"conf", "text/plain"},
    {"cpp", "text/x-c++"},
    {"cr2", "image/x-canon-cr2"},
    {"crt", "application/x-x509-ca-cert"},
    {"cs", "text/x-csharp"},
    {"css", "text/css"},
    {"csv", "text/csv"},
    {"cxx", "text/x-c++"},
    {"dart", "text/x-dart"},
    {"deb", "application/vnd.debian.binary-package"},
    {"der", "application/x-x509-ca-cert"},
    {"diff", "text/x-diff"},
    {"dmg", "application/x-apple-diskimage"},
    {"dng", "image/x-adobe-dng"},
    {"doc", "application/msword"},
    {"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
    {"eot", "application/vnd.ms-fontobject"},
    {"eps", "application/postscript"},
    {"epub", "application/epub+zip"},
    {"erl", "text/x-erlang"},
    {"ex", "text/x-elixir"},
    {"exe", "application/vnd.microsoft.portable-executable"},
    {"flac", "audio/flac"},
    {"flv", "video/x-flv"},
    {"geojson", "application/geo+json"},
    {"gif", "image/gif"},
    {"glb", "model/gltf-binary"},
    {"gltf", "model/gltf+json"},
    {"go", "text/x-go"},
    {"gpg", "application/pgp-encrypted"},
    {"gpx", "application/gpx+xml"},
    {"graphql", "application/graphql"},
    {"gz", "application/gzip"},
    {"h", "text/x-c"},
    {"heic", "image/heic"},
    {"heics", "image/heic-sequence"},
    {"heif", "image/heif"},
    {"hh", "text/x-c++"},
    {"hpp", "text/x-c++"},
    {"hs", "text/x-haskell"},
    {"htm", "text/html"},
    {"html", "text/html"},
    {"ico", "image/vnd.microsoft.icon"},
    {"ics", "text/calendar"},
    {"ini", "text/plain"},
    {"ipynb", "application/x-ipynb+json"},
    {"iso", "application/x-iso9660-image"},
    {"jar", "application/java-archive"},
    {"java", "text/x-java-source"},
    {"jp2", "image/jp2"},
    {"jpeg", "image/jpeg"},
    {"jpg", "image/jpeg"},
    {"js", "text/javascript"},
    {"json", "application/json"},
    {"jsonl", "application/jsonl"},
    {"jsonld", "application/ld+json"},
    {"jsx", "text/javascript"},
    {"jxl", "image/jxl"},
    {"kml", "application/vnd.google-earth.kml+xml"},
    {"kmz", "application/vnd.google-earth.kmz"},
    {"kt", "text/x-kotlin"},
    {"latex", "application/x-latex"},
    {"log", "text/plain"},
    {"lua", "text/x-lua"},
    {"lz", "application/x-lzip"},
    {"lz4", "application/x-lz4"},
    {"lzma", "application/x-lzma"},
    {"m3u", "audio/x-mpegurl"},
    {"m3u8", "application/vnd.apple.mpegurl"},
    {"m4a", "audio/mp4"},
    {"m4v", "video/x-m4v"},
    {"manifest", "text/cache-manifest"},
    {"map", "application/json"},
    {"markdown", "text/markdown"},
    {"md", "text/markdown"},
    {"mid", "audio/midi"},
    {"midi", "audio/midi"},
    {"mjs", "text/javascript"},
    {"mk", "text/x-makefile"},
    {"mkv", "video/x-matroska"},
    {"mov", "video/quicktime"},
    {"mp3", "audio/mpeg"},
    {"mp4", "video/mp4"},
    {"mpeg", "video/mpeg"},
    {"mpg", "video/mpeg"},
    {"msi", "application/x-msi"},
    {"ndjson", "application/x-ndjson"},
    {"nef", "image/x-nikon-nef"},
    {"odp", "application/vnd.oasis.opendocument.presentation"},
    {"ods", "application/vnd.oasis.opendocument.spreadsheet"},
    {"odt", "application/vnd.oasis.opendocument.text"},
    {"oga", "audio/ogg"},
    {"ogg", "audio/ogg"},
    {"ogv", "video/ogg"},
    {"opus", "audio/opus"},
    {"otf", "font/otf"},
    {"p12", "application/x-pkcs12"},
    {"parquet", "application/vnd.apache.parquet"},
    {"patch", "text/x-diff"},
    {"pbf", "application/x-protobuf"},
    {"pdf", "application/pdf"},
    {"pem", "application/x-pem-file"},
    {"pfx", "application/x-pkcs12"},
    {"php", "application/x-httpd-php"},
    {"pl", "text/x-perl"},
    {"png", "image/png"},
    {"ppt", "application/vnd.ms-powerpoint"},
    {"pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
    {"proto", "text/plain"},
    {"ps", "application/postscript"},
    {"psd", "image/vnd.adobe.photoshop"},
    {"py", "text/x-python"},
    {"r", "text/x-r"},
    {"rar", "application/vnd.rar"},
    {"rb", "text/x-ruby"},
    {"rpm", "application/x-rpm"},
    {"rs", "text/x-rust"},
    {"rss", "application/rss+xml"},
    {"rst", "text/x-rst"},
    {"rtf", "application/rtf"},
    {"scala", "text/x-scala"},
    {"sh", "application/x-sh"},
    {"sql", "application/sql"},
    {"srt", "application/x-subrip"},
    {"stl", "model/stl"},
    {"svg", "image/svg+xml"},
    {"svgz", "image/svg+xml"},
    {"swift", "text/x-swift"},
    {"tar", "application/x-tar"},
    {"tbz2", "application/x-bzip2"},
    {"tex", "application/x-tex"},
    {"tgz", "application/gzip"},
    {"tif", "image/tiff"},
    {"tiff", "image/tiff"},
    {"toml", "application/toml"},
    {"ts", "video/mp2t"},
    {"tsv", "text/tab-separated-values"},
    {"ttf", "font/ttf"},
    {"txt", "text/plain"},
    {"txz", "application/x-xz"},
    {"vtt", "text/vtt"},
    {"wasm", "application/wasm"},
    {"wav", "audio/wav"},
    {"weba", "audio/webm"},
    {"webm", "video/webm"},
    {"webmanifest", "application/manifest+json"},
    {"webp", "image/webp"},
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"xhtml", "application/xhtml+xml"},
    {"xls", "application/vnd.ms-excel"},
    {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    {"xml", "application/xml"},
    {"xsl", "application/xml"},
    {"xz", "application/x-xz"},
    {"yaml", "application/yaml"},
    {"yml", "application/yaml"},
    {"zip", "application/zip"},
    {"zst", "application/zstd"},
};

constexpr bool table_is_sorted() {
  for (std::size_t i = 1; i < std::size(kTable); ++i)
    if (!(kTable[i - 1].extension < kTable[i].extension)) return false;
  return true;
}
static_assert(table_is_sorted(), "kTable must be sorted by extension, without duplicates");

constexpr std::size_t kMaxExtension = 16;

}  // namespace

std::string_view guess_content_type(std::string_view path) {
  const auto slash = path.rfind('/');
  const std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  const auto dot = name.rfind('.');
  // No extension, or a dotfile: leading dots are part of the name (".bashrc", "..gz").
  if (dot == std::string_view::npos || name.find_first_not_of('.') >= dot) return {};
  const std::string_view ext = name.substr(dot + 1);
  if (ext.empty() || ext.size() > kMaxExtension) return {};
  std::array<char, kMaxExtension> buf{};
  for (std::size_t i = 0; i < ext.size(); ++i) {
    const char c = ext[i];
    buf[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  const std::string_view lower(buf.data(), ext.size());
  const auto it = std::lower_bound(
      std::begin(kTable), std::end(kTable), lower,
      [](const MediaType& row, std::string_view key) { return row.extension < key; });
  if (it == std::end(kTable) || it->extension != lower) return {};
  return it->type;
}

}  // namespace s3up::s3
