// S3 XML replies and the CompleteMultipartUpload body (s3/xml.hpp). The reply bodies follow the
// shapes documented in the S3 API reference.
#include <boost/test/unit_test.hpp>

#include <pugixml.hpp>

#include "s3/xml.hpp"

using namespace s3up::s3;

namespace {

const char* const kNs = R"( xmlns="http://s3.amazonaws.com/doc/2006-03-01/")";

std::string with_ns(std::string body, bool ns) {
  // Insert the namespace attribute after the root element's name (the first '>' after "<?xml").
  const std::size_t decl_end = body.find("?>");
  const std::size_t root = body.find('<', decl_end == std::string::npos ? 0 : decl_end + 2);
  const std::size_t name_end = body.find_first_of(" >", root);
  if (ns) body.insert(name_end, kNs);
  return body;
}

const std::vector<std::string> kGarbage = {
    "",
    "not xml at all",
    "<",
    "<Error><Code>Oops</Code>",  // truncated
    "<?xml version=\"1.0\"?>",
    "<html><body>502 Bad Gateway</body></html>",
    std::string("\0\x01\x02<Error>", 10),
    "<Error><Code>A</Code></Error><Error/>",  // two roots
    "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><Error><Code>&e;</Code></Error>",
};

}  // namespace

BOOST_AUTO_TEST_SUITE(s3xml)

BOOST_AUTO_TEST_CASE(error_document) {
  for (bool ns : {false, true}) {
    const auto e = parse_error(with_ns(R"(<?xml version="1.0" encoding="UTF-8"?>
<Error>
  <Code>NoSuchKey</Code>
  <Message>The resource you requested does not exist</Message>
  <Resource>/mybucket/myfoto.jpg</Resource>
  <RequestId>4442587FB7D0A2F9</RequestId>
</Error>)", ns));
    BOOST_TEST_REQUIRE(e.has_value());
    BOOST_TEST(e->code == "NoSuchKey");
    BOOST_TEST(e->message == "The resource you requested does not exist");
    BOOST_TEST(e->resource == "/mybucket/myfoto.jpg");
    BOOST_TEST(e->request_id == "4442587FB7D0A2F9");
    BOOST_TEST(e->region.empty());
  }
}

BOOST_AUTO_TEST_CASE(error_with_region_and_endpoint) {
  const auto malformed = parse_error(R"(<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>AuthorizationHeaderMalformed</Code><Message>The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'eu-west-1'</Message><Region>eu-west-1</Region><RequestId>ABC123</RequestId><HostId>xyz=</HostId></Error>)");
  BOOST_TEST_REQUIRE(malformed.has_value());
  BOOST_TEST(malformed->code == "AuthorizationHeaderMalformed");
  BOOST_TEST(malformed->region == "eu-west-1");

  const auto redirect = parse_error(R"(<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>PermanentRedirect</Code><Message>The bucket you are attempting to access must be addressed using the specified endpoint.</Message><Endpoint>mybucket.s3.eu-west-1.amazonaws.com</Endpoint><Bucket>mybucket</Bucket><RequestId>R1</RequestId></Error>)");
  BOOST_TEST_REQUIRE(redirect.has_value());
  BOOST_TEST(redirect->endpoint == "mybucket.s3.eu-west-1.amazonaws.com");
  BOOST_TEST(redirect->bucket == "mybucket");

  const auto escaped = parse_error("<Error><Code>X</Code><Message>a &lt;b&gt; &amp; &quot;c&quot;</Message></Error>");
  BOOST_TEST_REQUIRE(escaped.has_value());
  BOOST_TEST(escaped->message == "a <b> & \"c\"");
}

BOOST_AUTO_TEST_CASE(non_error_documents_are_not_errors) {
  BOOST_TEST(!parse_error("<InitiateMultipartUploadResult><UploadId>x</UploadId></InitiateMultipartUploadResult>").has_value());
  for (const std::string& g : kGarbage)
    if (!g.starts_with("<Error><Code>A") && !g.starts_with("<!DOCTYPE")) BOOST_TEST(!parse_error(g).has_value());
}

BOOST_AUTO_TEST_CASE(upload_id) {
  for (bool ns : {false, true}) {
    const auto id = parse_upload_id(with_ns(R"(<?xml version="1.0" encoding="UTF-8"?>
<InitiateMultipartUploadResult>
  <Bucket>example-bucket</Bucket>
  <Key>example-object</Key>
  <UploadId>VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId>
</InitiateMultipartUploadResult>)", ns));
    BOOST_TEST_REQUIRE(id.has_value());
    BOOST_TEST(*id == "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA");
  }
  BOOST_TEST(!parse_upload_id("<InitiateMultipartUploadResult><Key>k</Key></InitiateMultipartUploadResult>").has_value());
  BOOST_TEST(!parse_upload_id("<InitiateMultipartUploadResult><UploadId>  </UploadId></InitiateMultipartUploadResult>").has_value());
  BOOST_TEST(!parse_upload_id("<Error><Code>AccessDenied</Code></Error>").has_value());
  for (const std::string& g : kGarbage) BOOST_TEST(!parse_upload_id(g).has_value());
}

BOOST_AUTO_TEST_CASE(complete_success_and_200_with_error) {
  for (bool ns : {false, true}) {
    const CompleteResult ok = parse_complete(with_ns(R"(<?xml version="1.0" encoding="UTF-8"?>
<CompleteMultipartUploadResult>
  <Location>https://example-bucket.s3.amazonaws.com/Example-Object</Location>
  <Bucket>example-bucket</Bucket>
  <Key>Example-Object</Key>
  <ETag>&quot;3858f62230ac3c915f300c664312c11f-9&quot;</ETag>
</CompleteMultipartUploadResult>)", ns));
    BOOST_TEST(ok.ok);
    BOOST_TEST(ok.etag == "\"3858f62230ac3c915f300c664312c11f-9\"");

    // S3 sends 200 OK, then the whitespace it used to keep the connection alive, then <Error>.
    const CompleteResult failed = parse_complete(with_ns(R"(<?xml version="1.0" encoding="UTF-8"?>
            
<Error>
  <Code>InternalError</Code>
  <Message>We encountered an internal error. Please try again.</Message>
  <RequestId>656c76696e6727732072657175657374</RequestId>
  <HostId>Uuag1LuByRx9e6j5Onimru9pO4ZVKnJ2Qz7/C1NPcfTWAtRPfTaOFg==</HostId>
</Error>)", ns));
    BOOST_TEST(!failed.ok);
    BOOST_TEST(failed.error.code == "InternalError");
    BOOST_TEST(failed.error.request_id == "656c76696e6727732072657175657374");
  }
  for (const std::string& g : kGarbage) {
    if (g.starts_with("<Error><Code>A") || g.starts_with("<!DOCTYPE")) continue;
    const CompleteResult r = parse_complete(g);
    BOOST_TEST(!r.ok);
    BOOST_TEST(r.error.code.empty());
    BOOST_TEST(!r.error.message.empty());
  }
}

BOOST_AUTO_TEST_CASE(complete_body_is_built_and_escaped) {
  const std::string body = build_complete_body({
      {2, "\"etag-2\"", "ChecksumCRC32C", "AAAAAA=="},
      {1, "\"a<b&c>\"", "", ""},
  });
  BOOST_TEST(body.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
  BOOST_TEST(body.find("<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">") !=
             std::string::npos);
  BOOST_TEST(body.find("a&lt;b&amp;c&gt;") != std::string::npos);
  BOOST_TEST(body.find("<Part><PartNumber>1</PartNumber>") < body.find("<Part><PartNumber>2</PartNumber>"));
  BOOST_TEST(body.find("<ChecksumCRC32C>AAAAAA==</ChecksumCRC32C>") != std::string::npos);

  // Round trip through a parser: the text comes back unescaped, in part-number order.
  pugi::xml_document doc;
  BOOST_TEST_REQUIRE(static_cast<bool>(doc.load_string(body.c_str())));
  const pugi::xml_node root = doc.child("CompleteMultipartUpload");
  std::vector<std::string> etags;
  for (pugi::xml_node p : root.children("Part")) etags.push_back(p.child_value("ETag"));
  BOOST_TEST_REQUIRE(etags.size() == 2u);
  BOOST_TEST(etags[0] == "\"a<b&c>\"");
  BOOST_TEST(etags[1] == "\"etag-2\"");
  BOOST_TEST(std::string(root.child("Part").next_sibling("Part").child_value("ChecksumCRC32C")) == "AAAAAA==");
  BOOST_TEST(!root.child("Part").child("ChecksumCRC32C"));

  const std::string empty = build_complete_body({});
  BOOST_TEST(empty.find("CompleteMultipartUpload") != std::string::npos);
  BOOST_CHECK_THROW(build_complete_body({{1, "e", "Bad><Name", "v"}}), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(list_multipart_uploads) {
  for (bool ns : {false, true}) {
    const auto page = parse_list_uploads(with_ns(R"(<?xml version="1.0" encoding="UTF-8"?>
<ListMultipartUploadsResult>
  <Bucket>bucket</Bucket>
  <KeyMarker></KeyMarker>
  <UploadIdMarker></UploadIdMarker>
  <NextKeyMarker>my-movie.m2ts</NextKeyMarker>
  <NextUploadIdMarker>YW55IGlkZWEgd2h5IGVsdmluZydzIHVwbG9hZCBmYWlsZWQ</NextUploadIdMarker>
  <MaxUploads>3</MaxUploads>
  <IsTruncated>true</IsTruncated>
  <Upload>
    <Key>my-divisor</Key>
    <UploadId>XMgbGlrZSBlbHZpbmcncyBub3QgaGF2aW5nIG11Y2ggbHVjaw</UploadId>
    <Initiator><ID>arn:aws:iam::111122223333:user/user1</ID><DisplayName>user1</DisplayName></Initiator>
    <Owner><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID></Owner>
    <StorageClass>STANDARD</StorageClass>
    <Initiated>2010-11-10T20:48:33.000Z</Initiated>
  </Upload>
  <Upload>
    <Key>my-movie.m2ts</Key>
    <UploadId>VXBsb2FkIElEIGZvciBlbHZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId>
    <StorageClass>STANDARD</StorageClass>
    <Initiated>2010-11-10T20:48:33.000Z</Initiated>
  </Upload>
</ListMultipartUploadsResult>)", ns));
    BOOST_TEST_REQUIRE(page.has_value());
    BOOST_TEST(page->truncated);
    BOOST_TEST(page->next_key_marker == "my-movie.m2ts");
    BOOST_TEST(page->next_upload_id_marker == "YW55IGlkZWEgd2h5IGVsdmluZydzIHVwbG9hZCBmYWlsZWQ");
    BOOST_TEST_REQUIRE(page->uploads.size() == 2u);
    BOOST_TEST(page->uploads[0].key == "my-divisor");
    BOOST_TEST(page->uploads[1].upload_id == "VXBsb2FkIElEIGZvciBlbHZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA");
  }
  const auto encoded = parse_list_uploads(R"(<ListMultipartUploadsResult><EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>
<Upload><Key>dir/a+b%2Bc%C3%A9</Key><UploadId>u1</UploadId></Upload></ListMultipartUploadsResult>)");
  BOOST_TEST_REQUIRE(encoded.has_value());
  BOOST_TEST(!encoded->truncated);
  BOOST_TEST(encoded->uploads.at(0).key == "dir/a b+c\xC3\xA9");

  const auto empty = parse_list_uploads("<ListMultipartUploadsResult><IsTruncated>false</IsTruncated></ListMultipartUploadsResult>");
  BOOST_TEST_REQUIRE(empty.has_value());
  BOOST_TEST(empty->uploads.empty());
  for (const std::string& g : kGarbage) BOOST_TEST(!parse_list_uploads(g).has_value());
}

BOOST_AUTO_TEST_CASE(list_objects_v2) {
  for (bool ns : {false, true}) {
    const auto page = parse_list_objects_v2(with_ns(R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult>
  <Name>bucket</Name>
  <Prefix/>
  <KeyCount>2</KeyCount>
  <MaxKeys>1000</MaxKeys>
  <IsTruncated>true</IsTruncated>
  <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
  <Contents>
    <Key>my-image.jpg</Key>
    <LastModified>2009-10-12T17:50:30.000Z</LastModified>
    <ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag>
    <Size>434234</Size>
    <StorageClass>STANDARD</StorageClass>
  </Contents>
  <Contents>
    <Key>big/file.bin</Key>
    <LastModified>2024-01-01T00:00:00.000Z</LastModified>
    <ETag>"abc-12"</ETag>
    <Size>53687091200</Size>
    <StorageClass>STANDARD</StorageClass>
  </Contents>
</ListBucketResult>)", ns));
    BOOST_TEST_REQUIRE(page.has_value());
    BOOST_TEST(page->truncated);
    BOOST_TEST(page->next_continuation_token == "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
    BOOST_TEST_REQUIRE(page->objects.size() == 2u);
    BOOST_TEST(page->objects[0].key == "my-image.jpg");
    BOOST_TEST(page->objects[0].etag == "\"fba9dede5f27731c9771645a39863328\"");
    BOOST_TEST(page->objects[0].size == 434234u);
    BOOST_TEST(page->objects[0].last_modified == "2009-10-12T17:50:30.000Z");
    BOOST_TEST(page->objects[1].size == 53687091200ull);
  }
  const auto last = parse_list_objects_v2("<ListBucketResult><IsTruncated>false</IsTruncated><KeyCount>0</KeyCount></ListBucketResult>");
  BOOST_TEST_REQUIRE(last.has_value());
  BOOST_TEST(!last->truncated);
  BOOST_TEST(last->objects.empty());
  BOOST_TEST(last->next_continuation_token.empty());

  const auto encoded = parse_list_objects_v2("<ListBucketResult><EncodingType>url</EncodingType><Contents><Key>a%0Ab+c</Key><Size>1</Size></Contents></ListBucketResult>");
  BOOST_TEST_REQUIRE(encoded.has_value());
  BOOST_TEST(encoded->objects.at(0).key == "a\nb c");

  BOOST_TEST(!parse_list_objects_v2("<ListBucketResult><Contents><Key>k</Key><Size>-1</Size></Contents></ListBucketResult>").has_value());
  BOOST_TEST(!parse_list_objects_v2("<ListBucketResult><Contents><Key>k</Key><Size>12x</Size></Contents></ListBucketResult>").has_value());
  BOOST_TEST(!parse_list_objects_v2("<ListBucketResult><Contents><Key>k</Key></Contents></ListBucketResult>").has_value());
  BOOST_TEST(!parse_list_objects_v2("<ListBucketResult><Contents><Key>k</Key><Size>99999999999999999999999</Size></Contents></ListBucketResult>").has_value());
  BOOST_TEST(!parse_list_objects_v2("<ListAllMyBucketsResult/>").has_value());
  for (const std::string& g : kGarbage) BOOST_TEST(!parse_list_objects_v2(g).has_value());
}

BOOST_AUTO_TEST_CASE(list_parts) {
  for (bool ns : {false, true}) {
    const auto page = parse_list_parts(with_ns(R"(<?xml version="1.0" encoding="UTF-8"?>
<ListPartsResult>
  <Bucket>example-bucket</Bucket>
  <Key>example-object</Key>
  <UploadId>XXBsb2FkIElEIGZvciBlbHZpbmcncyVcdS1tb3ZpZS5tMnRzEEEwbG9hZA</UploadId>
  <PartNumberMarker>1</PartNumberMarker>
  <NextPartNumberMarker>3</NextPartNumberMarker>
  <MaxParts>2</MaxParts>
  <IsTruncated>true</IsTruncated>
  <Part>
    <PartNumber>2</PartNumber>
    <LastModified>2010-11-10T20:48:34.000Z</LastModified>
    <ETag>"7778aef83f66abc1fa1e8477f296d394"</ETag>
    <ChecksumCRC32C>yZRlQA==</ChecksumCRC32C>
    <Size>10485760</Size>
  </Part>
  <Part>
    <PartNumber>3</PartNumber>
    <LastModified>2010-11-10T20:48:33.000Z</LastModified>
    <ETag>"aaaa18db4cc2f85cedef654fccc4a4x8"</ETag>
    <ChecksumSHA256>n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=</ChecksumSHA256>
    <ChecksumCRC32>AAAAAA==</ChecksumCRC32>
    <Size>10485760</Size>
  </Part>
</ListPartsResult>)", ns));
    BOOST_TEST_REQUIRE(page.has_value());
    BOOST_TEST(page->truncated);
    BOOST_TEST(page->next_part_number_marker == 3);
    BOOST_TEST_REQUIRE(page->parts.size() == 2u);
    BOOST_TEST(page->parts[0].number == 2);
    BOOST_TEST(page->parts[0].etag == "\"7778aef83f66abc1fa1e8477f296d394\"");
    BOOST_TEST(page->parts[0].size == 10485760u);
    BOOST_TEST(page->parts[0].checksum_crc32c == "yZRlQA==");
    BOOST_TEST(page->parts[0].checksum_sha256.empty());
    BOOST_TEST(page->parts[1].checksum_sha256 == "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=");
    BOOST_TEST(page->parts[1].checksum_crc32 == "AAAAAA==");
  }
  const auto no_marker = parse_list_parts("<ListPartsResult><IsTruncated>false</IsTruncated></ListPartsResult>");
  BOOST_TEST_REQUIRE(no_marker.has_value());
  BOOST_TEST(no_marker->next_part_number_marker == 0);
  BOOST_TEST(!no_marker->truncated);
  BOOST_TEST(!parse_list_parts("<ListPartsResult><Part><PartNumber>x</PartNumber><Size>1</Size></Part></ListPartsResult>").has_value());
  BOOST_TEST(!parse_list_parts("<ListPartsResult><NextPartNumberMarker>y</NextPartNumberMarker></ListPartsResult>").has_value());
  for (const std::string& g : kGarbage) BOOST_TEST(!parse_list_parts(g).has_value());
}

BOOST_AUTO_TEST_CASE(prefixed_namespace_names) {
  const auto id = parse_upload_id(
      R"(<s3:InitiateMultipartUploadResult xmlns:s3="http://s3.amazonaws.com/doc/2006-03-01/"><s3:UploadId>abc</s3:UploadId></s3:InitiateMultipartUploadResult>)");
  BOOST_TEST_REQUIRE(id.has_value());
  BOOST_TEST(*id == "abc");
}

BOOST_AUTO_TEST_CASE(external_entities_are_not_resolved) {
  // pugixml does not process DTDs: the entity reference stays unexpanded, nothing is read.
  const auto e = parse_error(kGarbage.back());
  if (e) BOOST_TEST(e->code.find("root:") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(complete_reply_named_response_as_moto_does) {
  const auto r = s3up::s3::parse_complete(
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<CompleteMultipartUploadResponse "
      "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Location>http://b.s3.amazonaws.com/k"
      "</Location><Bucket>b</Bucket><Key>k</Key><ETag>\"cb8d-1\"</ETag>"
      "</CompleteMultipartUploadResponse>");
  BOOST_TEST(r.ok);
  BOOST_TEST(r.etag == "\"cb8d-1\"");
}

BOOST_AUTO_TEST_SUITE_END()
