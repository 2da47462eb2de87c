#pragma once

// Turning the bytes of a service model file into UTF-8 text for the XML
// parser, and mapping byte offsets in that text back to line numbers.
//
// Real .csdef/.cscfg files come as the tools that wrote them chose: UTF-8
// with or without a byte order mark, and UTF-16 (Visual Studio of 2010 wrote
// UTF-16LE with a BOM). Everything else is refused with a message that says
// what was found and what is accepted, never passed on half-decoded.
//
// Pure functions, no I/O; safe to call from any thread.

#include <cstddef>
#include <string>
#include <string_view>

#include "model/result.hpp"

namespace fabric::model {

/// The encoding a file was found to be in.
enum class text_encoding {
  utf8,     ///< UTF-8 without a byte order mark (or plain ASCII)
  utf8_bom, ///< UTF-8 with EF BB BF
  utf16le,  ///< UTF-16 little-endian (with FF FE, or detected from "<\0")
  utf16be,  ///< UTF-16 big-endian (with FE FF, or detected from "\0<")
};

/// "utf-8", "utf-8 (BOM)", "utf-16le", "utf-16be".
const char* to_string(text_encoding encoding);

struct decoded_text {
  std::string utf8; ///< the text as UTF-8, without a byte order mark
  text_encoding encoding = text_encoding::utf8;
};

/// Decodes `bytes` to UTF-8. Accepted: UTF-8 with or without BOM, UTF-16LE or
/// UTF-16BE with BOM (and UTF-16 without BOM when the text starts with '<',
/// as the XML spec's autodetection allows). Line ends are kept as they are,
/// so line numbers in the result are line numbers in the file.
///
/// Errors (with `file_name` and, where it applies, the line):
/// - an empty file (no bytes, only a BOM, or only whitespace);
/// - binary data: a NUL byte in UTF-8 input, or U+0000 in UTF-16 input;
/// - invalid UTF-8 (bad, truncated or overlong sequences, surrogates);
/// - invalid UTF-16 (odd byte count, unpaired surrogates).
result<decoded_text> decode_xml_text(std::string_view bytes, const std::string& file_name);

/// `text` with the encoding="..." of a leading XML declaration rewritten to
/// utf-8 (unchanged without one): for text decode_xml_text turned into
/// UTF-8, so that the declaration still tells the truth when it is stored or
/// sent on (e.g. a UTF-16 .cscfg put into a JSON string by fabricctl).
std::string declare_utf8(std::string text);

/// The 1-based line on which the byte at `offset` of `text` lies (the
/// number of '\n' before it, plus one). An offset past the end counts the
/// whole text.
int line_of_offset(std::string_view text, std::size_t offset);

} // namespace fabric::model
