// Lexer and recursive-descent parser of the list filter language (query.h).
#include "visibility/query.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>

namespace durable::visibility {

namespace {

struct Token {
  enum class Kind { kIdent, kQuotedIdent, kString, kNumber, kOp, kLParen, kRParen, kComma, kEnd };
  Kind kind = Kind::kEnd;
  std::string text;   // identifiers and operators as written, strings unescaped
  std::string raw;    // as written, for messages
  size_t pos = 0;     // 1-based
};

std::string Upper(const std::string& s) {
  std::string u = s;
  for (char& c : u) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return u;
}

Status Error(const std::string& what, const Token& t) {
  // A string token is shown as written (with its quotes).
  std::string got = t.kind == Token::Kind::kEnd      ? "end of query"
                    : t.kind == Token::Kind::kString ? t.raw
                                                     : "'" + t.raw + "'";
  return Status::InvalidArgument("query: " + what + " at position " + std::to_string(t.pos) +
                                 ", got " + got);
}

Result<std::vector<Token>> Lex(const std::string& q) {
  std::vector<Token> out;
  size_t i = 0;
  while (true) {
    while (i < q.size() && std::isspace(static_cast<unsigned char>(q[i]))) ++i;
    Token t;
    t.pos = i + 1;
    if (i >= q.size()) {
      out.push_back(t);
      return out;
    }
    char c = q[i];
    size_t start = i;
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      while (i < q.size() && (std::isalnum(static_cast<unsigned char>(q[i])) || q[i] == '_' ||
                              q[i] == '.')) {
        ++i;
      }
      t.kind = Token::Kind::kIdent;
      t.text = q.substr(start, i - start);
    } else if (c == '`') {
      size_t end = q.find('`', i + 1);
      if (end == std::string::npos) {
        return Status::InvalidArgument("query: unterminated back-quoted name starting at position " +
                                       std::to_string(t.pos));
      }
      t.kind = Token::Kind::kQuotedIdent;
      t.text = q.substr(i + 1, end - i - 1);
      i = end + 1;
    } else if (c == '\'' || c == '"') {
      ++i;
      bool closed = false;
      while (i < q.size()) {
        if (q[i] == '\\' && i + 1 < q.size()) {
          t.text.push_back(q[i + 1]);
          i += 2;
        } else if (q[i] == c) {
          if (i + 1 < q.size() && q[i + 1] == c) {  // doubled quote
            t.text.push_back(c);
            i += 2;
          } else {
            ++i;
            closed = true;
            break;
          }
        } else {
          t.text.push_back(q[i++]);
        }
      }
      if (!closed) {
        return Status::InvalidArgument("query: unterminated string starting at position " +
                                       std::to_string(t.pos));
      }
      t.kind = Token::Kind::kString;
    } else if (std::isdigit(static_cast<unsigned char>(c)) ||
               ((c == '-' || c == '+' || c == '.') && i + 1 < q.size() &&
                (std::isdigit(static_cast<unsigned char>(q[i + 1])) || q[i + 1] == '.'))) {
      ++i;
      while (i < q.size() && (std::isalnum(static_cast<unsigned char>(q[i])) || q[i] == '.' ||
                              ((q[i] == '-' || q[i] == '+') &&
                               (q[i - 1] == 'e' || q[i - 1] == 'E')))) {
        ++i;
      }
      t.kind = Token::Kind::kNumber;
      t.text = q.substr(start, i - start);
    } else if (c == '(' || c == ')' || c == ',') {
      t.kind = c == '(' ? Token::Kind::kLParen : c == ')' ? Token::Kind::kRParen : Token::Kind::kComma;
      t.text = std::string(1, c);
      ++i;
    } else if (c == '=' || c == '!' || c == '<' || c == '>') {
      ++i;
      if (i < q.size() && (q[i] == '=' || (c == '<' && q[i] == '>'))) ++i;
      t.kind = Token::Kind::kOp;
      t.text = q.substr(start, i - start);
      if (t.text == "!") {
        t.kind = Token::Kind::kOp;
        t.raw = t.text;
        return Error("'!' must be followed by '=' (\"!=\")", t);
      }
      if (t.text == "==") t.text = "=";
    } else {
      t.kind = Token::Kind::kOp;
      t.raw = std::string(1, c);
      return Error("unexpected character", t);
    }
    t.raw = q.substr(start, i - start);
    out.push_back(std::move(t));
  }
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : toks_(std::move(tokens)) {}

  Result<Query> Parse() {
    Query q;
    if (!AtKeyword("ORDER") && !AtKeyword("GROUP") && Peek().kind != Token::Kind::kEnd) {
      auto e = ParseOr();
      if (!e.ok()) return e.status();
      q.where = std::move(e).value();
    }
    if (AtKeyword("ORDER")) {
      Next();
      if (!AtKeyword("BY")) return Error("expected BY after ORDER", Peek());
      Next();
      while (true) {
        auto f = ParseField("a field to order by");
        if (!f.ok()) return f.status();
        OrderTerm term = std::move(f).value();
        if (AtKeyword("ASC")) {
          Next();
        } else if (AtKeyword("DESC")) {
          Next();
          term.descending = true;
        }
        q.order_by.push_back(std::move(term));
        if (Peek().kind != Token::Kind::kComma) break;
        Next();
      }
    }
    if (AtKeyword("GROUP")) {
      Next();
      if (!AtKeyword("BY")) return Error("expected BY after GROUP", Peek());
      Next();
      auto f = ParseField("a field to group by");
      if (!f.ok()) return f.status();
      q.group_by = std::move(f).value();
    }
    if (Peek().kind != Token::Kind::kEnd) {
      return Error(q.where ? "expected AND, OR, ORDER BY, GROUP BY or the end of the query"
                           : "expected a filter, ORDER BY or GROUP BY",
                   Peek());
    }
    return q;
  }

 private:
  const Token& Peek() const { return toks_[i_]; }
  const Token& Next() { return toks_[i_ < toks_.size() - 1 ? i_++ : i_]; }
  bool AtKeyword(const char* kw) const {
    return Peek().kind == Token::Kind::kIdent && Upper(Peek().text) == kw;
  }
  static bool IsReserved(const std::string& word) {
    static const char* kReserved[] = {"AND", "OR", "NOT", "BETWEEN", "IN", "STARTS_WITH", "IS",
                                      "NULL", "ORDER", "GROUP", "BY", "ASC", "DESC", "TRUE",
                                      "FALSE"};
    std::string u = Upper(word);
    for (const char* r : kReserved) {
      if (u == r) return true;
    }
    return false;
  }

  Result<OrderTerm> ParseField(const char* what) {
    const Token& t = Peek();
    if ((t.kind == Token::Kind::kIdent && !IsReserved(t.text)) ||
        t.kind == Token::Kind::kQuotedIdent) {
      OrderTerm f{t.text, t.pos, false};
      Next();
      return f;
    }
    return Error(std::string("expected ") + what, t);
  }

  Result<std::unique_ptr<Expr>> ParseOr() {
    auto first = ParseAnd();
    if (!first.ok()) return first.status();
    if (!AtKeyword("OR")) return first;
    auto e = std::make_unique<Expr>();
    e->kind = Expr::Kind::kOr;
    e->children.push_back(std::move(first).value());
    while (AtKeyword("OR")) {
      Next();
      auto next = ParseAnd();
      if (!next.ok()) return next.status();
      e->children.push_back(std::move(next).value());
    }
    return e;
  }

  Result<std::unique_ptr<Expr>> ParseAnd() {
    auto first = ParseNot();
    if (!first.ok()) return first.status();
    if (!AtKeyword("AND")) return first;
    auto e = std::make_unique<Expr>();
    e->kind = Expr::Kind::kAnd;
    e->children.push_back(std::move(first).value());
    while (AtKeyword("AND")) {
      Next();
      auto next = ParseNot();
      if (!next.ok()) return next.status();
      e->children.push_back(std::move(next).value());
    }
    return e;
  }

  static std::unique_ptr<Expr> Negate(std::unique_ptr<Expr> inner) {
    auto e = std::make_unique<Expr>();
    e->kind = Expr::Kind::kNot;
    e->children.push_back(std::move(inner));
    return e;
  }

  Result<std::unique_ptr<Expr>> ParseNot() {
    if (AtKeyword("NOT")) {
      Next();
      auto inner = ParseNot();
      if (!inner.ok()) return inner.status();
      return Negate(std::move(inner).value());
    }
    if (Peek().kind == Token::Kind::kLParen) {
      Next();
      auto inner = ParseOr();
      if (!inner.ok()) return inner.status();
      if (Peek().kind != Token::Kind::kRParen) return Error("expected ')'", Peek());
      Next();
      return inner;
    }
    return ParsePredicate();
  }

  Result<Literal> ParseLiteral(const std::string& after) {
    const Token& t = Peek();
    Literal l;
    l.pos = t.pos;
    l.text = t.text;
    switch (t.kind) {
      case Token::Kind::kString: l.kind = Literal::Kind::kString; break;
      case Token::Kind::kNumber: {
        char* end = nullptr;
        errno = 0;
        long long v = std::strtoll(t.text.c_str(), &end, 10);
        if (end != nullptr && *end == '\0' && errno == 0) {
          l.kind = Literal::Kind::kInt;
          l.int_value = v;
          l.double_value = static_cast<double>(v);
          break;
        }
        errno = 0;
        double d = std::strtod(t.text.c_str(), &end);
        if (end == nullptr || *end != '\0' || errno != 0) return Error("malformed number", t);
        l.kind = Literal::Kind::kDouble;
        l.double_value = d;
        break;
      }
      case Token::Kind::kIdent:
        if (Upper(t.text) == "TRUE" || Upper(t.text) == "FALSE") {
          l.kind = Literal::Kind::kBool;
          l.bool_value = Upper(t.text) == "TRUE";
          break;
        }
        return Error("expected a value (a quoted string, a number, TRUE or FALSE) after " + after,
                     t);
      default:
        return Error("expected a value (a quoted string, a number, TRUE or FALSE) after " + after,
                     t);
    }
    Next();
    return l;
  }

  Result<std::unique_ptr<Expr>> ParsePredicate() {
    const Token& ft = Peek();
    if (!((ft.kind == Token::Kind::kIdent && !IsReserved(ft.text)) ||
          ft.kind == Token::Kind::kQuotedIdent)) {
      return Error("expected a field name, NOT or '('", ft);
    }
    auto e = std::make_unique<Expr>();
    e->field = ft.text;
    e->field_pos = ft.pos;
    Next();
    const std::string after_field = "'" + e->field + "'";
    bool negated = false;
    if (AtKeyword("NOT")) {
      Next();
      negated = true;
      if (!AtKeyword("BETWEEN") && !AtKeyword("IN") && !AtKeyword("STARTS_WITH")) {
        return Error("expected BETWEEN, IN or STARTS_WITH after NOT", Peek());
      }
    }
    const Token& op = Peek();
    if (op.kind == Token::Kind::kOp) {
      static const std::pair<const char*, CompareOp> kOps[] = {
          {"=", CompareOp::kEq}, {"!=", CompareOp::kNe}, {"<>", CompareOp::kNe},
          {"<", CompareOp::kLt}, {"<=", CompareOp::kLe}, {">", CompareOp::kGt},
          {">=", CompareOp::kGe}};
      bool found = false;
      for (const auto& [text, value] : kOps) {
        if (op.text == text) {
          e->op = value;
          found = true;
        }
      }
      if (!found) return Error("unknown operator", op);
      std::string op_text = "'" + op.text + "'";
      Next();
      e->kind = Expr::Kind::kCompare;
      auto v = ParseLiteral(op_text);
      if (!v.ok()) return v.status();
      e->values.push_back(std::move(v).value());
      return e;
    }
    if (AtKeyword("BETWEEN")) {
      Next();
      e->kind = Expr::Kind::kBetween;
      auto lo = ParseLiteral("BETWEEN");
      if (!lo.ok()) return lo.status();
      if (!AtKeyword("AND")) return Error("expected AND in BETWEEN ... AND ...", Peek());
      Next();
      auto hi = ParseLiteral("AND");
      if (!hi.ok()) return hi.status();
      e->values.push_back(std::move(lo).value());
      e->values.push_back(std::move(hi).value());
    } else if (AtKeyword("IN")) {
      Next();
      e->kind = Expr::Kind::kIn;
      if (Peek().kind != Token::Kind::kLParen) return Error("expected '(' after IN", Peek());
      Next();
      while (true) {
        auto v = ParseLiteral(e->values.empty() ? "'('" : "','");
        if (!v.ok()) return v.status();
        e->values.push_back(std::move(v).value());
        if (Peek().kind == Token::Kind::kComma) {
          Next();
          continue;
        }
        if (Peek().kind != Token::Kind::kRParen) return Error("expected ',' or ')' in IN (...)", Peek());
        Next();
        break;
      }
    } else if (AtKeyword("STARTS_WITH")) {
      Next();
      e->kind = Expr::Kind::kStartsWith;
      auto v = ParseLiteral("STARTS_WITH");
      if (!v.ok()) return v.status();
      if (v.value().kind != Literal::Kind::kString) {
        return Status::InvalidArgument("query: STARTS_WITH needs a quoted string at position " +
                                       std::to_string(v.value().pos) + ", got '" +
                                       v.value().text + "'");
      }
      e->values.push_back(std::move(v).value());
    } else if (AtKeyword("IS")) {
      Next();
      bool not_null = false;
      if (AtKeyword("NOT")) {
        Next();
        not_null = true;
      }
      if (!AtKeyword("NULL")) return Error("expected NULL after IS", Peek());
      Next();
      e->kind = Expr::Kind::kIsNull;
      return not_null ? Negate(std::move(e)) : std::move(e);
    } else {
      return Error("expected an operator (=, !=, <, <=, >, >=, BETWEEN, IN, STARTS_WITH, IS) after " +
                       after_field,
                   op);
    }
    return negated ? Negate(std::move(e)) : std::move(e);
  }

  std::vector<Token> toks_;
  size_t i_ = 0;
};

}  // namespace

Result<Query> ParseQuery(const std::string& text) {
  auto tokens = Lex(text);
  if (!tokens.ok()) return tokens.status();
  Parser p(std::move(tokens).value());
  return p.Parse();
}

}  // namespace durable::visibility
