#include "model/xml_text.hpp"

#include <algorithm>
#include <cstdint>

namespace fabric::model {

namespace {

constexpr const char* accepted =
  "expected an XML document in UTF-8 (with or without BOM) or UTF-16 with a BOM";

error fail(const std::string& file, int line, std::string message) {
  return error{std::move(message), file, line};
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

/// Length of the valid UTF-8 sequence at text[i], or 0 when it is invalid.
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char b0 = byte(i);
  if (b0 < 0x80)
    return 1;
  std::size_t len;
  std::uint32_t cp;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
    cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    cp = b0 & 0x0F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    cp = b0 & 0x07;
  } else {
    return 0;
  }
  if (i + len > text.size())
    return 0;
  for (std::size_t k = 1; k < len; ++k) {
    unsigned char b = byte(i + k);
    if ((b & 0xC0) != 0x80)
      return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  static constexpr std::uint32_t min_cp[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < min_cp[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return len;
}

result<std::string> check_utf8(std::string_view text, const std::string& file) {
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] == '\0')
      return fail(file, line_of_offset(text, i),
                  "binary data, not text: NUL byte at offset " + std::to_string(i) + "; "
                    + accepted);
    auto len = utf8_sequence_length(text, i);
    if (len == 0)
      return fail(file, line_of_offset(text, i),
                  "invalid UTF-8 byte sequence at offset " + std::to_string(i)
                    + " (the file is binary or in another encoding); " + accepted);
    i += len;
  }
  return std::string{text};
}

result<std::string> decode_utf16(std::string_view bytes, bool little_endian,
                                 const std::string& file, std::size_t skip) {
  if (bytes.size() % 2 != 0)
    return fail(file, 0,
                "UTF-16 text with an odd number of bytes (" + std::to_string(bytes.size())
                  + "): the file is truncated or not UTF-16; " + accepted);
  auto unit = [&](std::size_t k) -> std::uint32_t {
    auto lo = static_cast<unsigned char>(bytes[k + (little_endian ? 0 : 1)]);
    auto hi = static_cast<unsigned char>(bytes[k + (little_endian ? 1 : 0)]);
    return static_cast<std::uint32_t>(lo | (hi << 8));
  };
  std::string out;
  out.reserve(bytes.size() / 2);
  int line = 1;
  for (std::size_t k = skip; k < bytes.size(); k += 2) {
    std::uint32_t u = unit(k);
    std::uint32_t cp = u;
    if (u >= 0xD800 && u <= 0xDBFF) {
      std::uint32_t low = k + 2 < bytes.size() ? unit(k + 2) : 0;
      if (low < 0xDC00 || low > 0xDFFF)
        return fail(file, line,
                    "invalid UTF-16: unpaired surrogate at byte offset " + std::to_string(k)
                      + "; " + accepted);
      cp = 0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00);
      k += 2;
    } else if (u >= 0xDC00 && u <= 0xDFFF) {
      return fail(file, line,
                  "invalid UTF-16: unpaired surrogate at byte offset " + std::to_string(k)
                    + "; " + accepted);
    } else if (u == 0) {
      return fail(file, line,
                  "binary data, not text: U+0000 at byte offset " + std::to_string(k) + "; "
                    + accepted);
    } else if (u == '\n') {
      ++line;
    }
    append_utf8(out, cp);
  }
  return out;
}

bool only_whitespace(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
  });
}

} // namespace

const char* to_string(text_encoding encoding) {
  switch (encoding) {
    case text_encoding::utf8:
      return "utf-8";
    case text_encoding::utf8_bom:
      return "utf-8 (BOM)";
    case text_encoding::utf16le:
      return "utf-16le";
    case text_encoding::utf16be:
      return "utf-16be";
  }
  return "unknown";
}

int line_of_offset(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + offset, '\n'));
}

result<decoded_text> decode_xml_text(std::string_view bytes, const std::string& file_name) {
  auto starts = [&](std::string_view prefix) {
    return bytes.size() >= prefix.size() && bytes.substr(0, prefix.size()) == prefix;
  };
  decoded_text out;
  result<std::string> text{std::string{}};
  using namespace std::string_view_literals;
  if (bytes.empty()) {
    return fail(file_name, 0, "the file is empty; expected an XML document");
  } else if (starts("\xEF\xBB\xBF"sv)) {
    out.encoding = text_encoding::utf8_bom;
    text = check_utf8(bytes.substr(3), file_name);
  } else if (starts("\xFF\xFE"sv)) {
    out.encoding = text_encoding::utf16le;
    text = decode_utf16(bytes, true, file_name, 2);
  } else if (starts("\xFE\xFF"sv)) {
    out.encoding = text_encoding::utf16be;
    text = decode_utf16(bytes, false, file_name, 2);
  } else if (starts("<\0"sv)) {
    out.encoding = text_encoding::utf16le;
    text = decode_utf16(bytes, true, file_name, 0);
  } else if (starts("\0<"sv)) {
    out.encoding = text_encoding::utf16be;
    text = decode_utf16(bytes, false, file_name, 0);
  } else {
    out.encoding = text_encoding::utf8;
    text = check_utf8(bytes, file_name);
  }
  if (!text)
    return text.err();
  if (only_whitespace(*text))
    return fail(file_name, 0,
                "the file is empty (nothing but a byte order mark or whitespace); "
                "expected an XML document");
  out.utf8 = std::move(*text);
  return out;
}

std::string declare_utf8(std::string text) {
  if (text.compare(0, 5, "<?xml") != 0)
    return text;
  auto end = text.find("?>");
  if (end == std::string::npos)
    return text;
  auto at = text.find("encoding", 5);
  if (at == std::string::npos || at > end)
    return text;
  auto quote = text.find_first_of("\"'", at);
  if (quote == std::string::npos || quote > end)
    return text;
  auto close = text.find(text[quote], quote + 1);
  if (close == std::string::npos || close > end)
    return text;
  text.replace(quote + 1, close - quote - 1, "utf-8");
  return text;
}

} // namespace fabric::model
