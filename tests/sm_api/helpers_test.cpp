// base64, request ids, error codes, times: the small helpers of fabric::sm_xml.

#include <gtest/gtest.h>

#include "sm_api/base64.hpp"
#include "sm_api/request_id.hpp"
#include "sm_api/responses.hpp"
#include "sm_api/sm_error.hpp"

using namespace fabric;
using namespace fabric::sm_api;

TEST(sm_base64, encodes_with_padding_like_python_b64encode) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("my label"), "bXkgbGFiZWw=");
  EXPECT_EQ(base64_encode(std::string("\xff\xfe<\0", 4)), "//48AA==");
}

TEST(sm_base64, decodes_round_trip_and_tolerates_line_breaks) {
  EXPECT_EQ(base64_decode("bXkgbGFiZWw="), "my label");
  EXPECT_EQ(base64_decode("bXkgbGFi\r\nZWw="), "my label");
  EXPECT_EQ(base64_decode("//48AA=="), std::string("\xff\xfe<\0", 4));
  std::string all;
  for (int i = 0; i < 256; ++i)
    all += static_cast<char>(i);
  EXPECT_EQ(base64_decode(base64_encode(all)), all);
}

TEST(sm_base64, rejects_what_is_not_base64) {
  EXPECT_FALSE(base64_decode("my label"));    // plain text: 7 digits once the space is skipped
  EXPECT_FALSE(base64_decode("bXkgbGFiZWw")); // padding missing
  EXPECT_FALSE(base64_decode("<Service/>")); // '<' is not in the alphabet
  EXPECT_FALSE(base64_decode("Zg==Zg=="));   // '=' in the middle
  EXPECT_FALSE(base64_decode("Z"));          // a single leftover digit
  EXPECT_FALSE(base64_decode("Zm8=="));      // too much padding for the length
}

TEST(sm_request_id, formats_32_hex_as_dashed_guid) {
  EXPECT_EQ(request_id_to_guid("0123456789abcdef0123456789abcdef"),
            "01234567-89ab-cdef-0123-456789abcdef");
  EXPECT_EQ(request_id_to_guid("0123456789ABCDEF0123456789ABCDEF"),
            "01234567-89ab-cdef-0123-456789abcdef");
  EXPECT_EQ(request_id_to_guid("01234567-89ab-cdef-0123-456789abcdef"),
            "01234567-89ab-cdef-0123-456789abcdef");
  EXPECT_FALSE(request_id_to_guid("0123456789abcdef0123456789abcde"));  // 31 digits
  EXPECT_FALSE(request_id_to_guid("0123456789abcdef0123456789abcdeg")); // not hex
  EXPECT_FALSE(request_id_to_guid("012345678-9ab-cdef-0123-456789abcdef"));
}

TEST(sm_request_id, normalises_both_forms_for_the_operations_url) {
  EXPECT_TRUE(is_request_id("0123456789abcdef0123456789abcdef"));
  EXPECT_FALSE(is_request_id("01234567-89ab-cdef-0123-456789abcdef"));
  EXPECT_EQ(normalise_request_id("01234567-89AB-cdef-0123-456789abcdef"),
            "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(normalise_request_id("{01234567-89ab-cdef-0123-456789abcdef}"),
            "0123456789abcdef0123456789abcdef");
  EXPECT_FALSE(normalise_request_id(""));
  EXPECT_FALSE(normalise_request_id("operations"));
}

TEST(sm_error, carries_code_and_message_through_fabric_error) {
  auto err = make_error(codes::conflict_error, "The deployment is locked.");
  EXPECT_EQ(err.message, "ConflictError: The deployment is locked.");
  auto e = to_sm_error(err);
  EXPECT_EQ(e.http_status, 409);
  EXPECT_EQ(e.code, "ConflictError");
  EXPECT_EQ(e.message, "The deployment is locked.");
}

TEST(sm_error, maps_codes_to_http_status) {
  EXPECT_EQ(http_status_of("BadRequest"), 400);
  EXPECT_EQ(http_status_of("InvalidXmlRequest"), 400);
  EXPECT_EQ(http_status_of("MissingOrIncorrectVersionHeader"), 400);
  EXPECT_EQ(http_status_of("AuthenticationFailed"), 403);
  EXPECT_EQ(http_status_of("ResourceNotFound"), 404);
  EXPECT_EQ(http_status_of("ConflictError"), 409);
  EXPECT_EQ(http_status_of("ServerBusy"), 503);
  EXPECT_EQ(http_status_of("TemporaryRedirect"), 307);
  EXPECT_EQ(http_status_of("NoSuchCode"), 500);
}

TEST(sm_error, a_foreign_error_becomes_internal_error_with_its_whole_text) {
  auto e = to_sm_error(error{"bad thing: happened", "x.cscfg", 3});
  EXPECT_EQ(e.http_status, 500);
  EXPECT_EQ(e.code, "InternalError");
  EXPECT_EQ(e.message, "x.cscfg:3: bad thing: happened");
  auto f = to_sm_error(error{"Nonsense: not a code"});
  EXPECT_EQ(f.code, "InternalError");
  EXPECT_EQ(f.message, "Nonsense: not a code");
}

TEST(sm_time, formats_utc_like_the_real_service) {
  EXPECT_EQ(format_time_utc(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_time_utc(1435802739), "2015-07-02T02:05:39Z"); // the recorded CreatedTime
  EXPECT_EQ(format_time_utc(1330473600), "2012-02-29T00:00:00Z"); // leap day
  EXPECT_EQ(format_time_utc(-1), "1969-12-31T23:59:59Z");
}

TEST(sm_private_id, is_stable_32_hex_and_differs_per_deployment) {
  auto a = derive_private_id("svc", "dep1");
  EXPECT_EQ(a.size(), 32u);
  EXPECT_TRUE(is_request_id(a));
  EXPECT_EQ(a, derive_private_id("svc", "dep1"));
  EXPECT_NE(a, derive_private_id("svc", "dep2"));
  EXPECT_NE(a, derive_private_id("svcd", "ep1"));
}
