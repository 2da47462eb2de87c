#pragma once

// A plain-text table with aligned columns, for fabricctl's human output.

#include <ostream>
#include <string>
#include <vector>

namespace fabric::cli {

class table {
public:
  explicit table(std::vector<std::string> header) : rows_{std::move(header)} {}

  /// REQUIRES: row.size() == the header's size.
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }

  void print(std::ostream& out) const {
    std::vector<std::size_t> width(rows_.front().size(), 0);
    for (auto& row : rows_)
      for (std::size_t c = 0; c < row.size(); ++c)
        width[c] = std::max(width[c], row[c].size());
    for (auto& row : rows_) {
      std::string line;
      for (std::size_t c = 0; c < row.size(); ++c) {
        line += row[c];
        if (c + 1 < row.size())
          line += std::string(width[c] - row[c].size() + 2, ' ');
      }
      out << line << "\n";
    }
  }

private:
  std::vector<std::vector<std::string>> rows_;
};

} // namespace fabric::cli
