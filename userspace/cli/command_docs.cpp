#include "cli/command_docs.hpp"

#include <sstream>

namespace tristate::cli {

namespace {

// Environment variables tristate reads, for tristate(1).
struct EnvVar {
  const char* name;
  const char* what;
};
constexpr EnvVar kEnvironment[] = {
    {"TRISTATE_QUIZ_DIR",
     "Directory of the built-in quizzes. Default: share/tristate/quizzes beside the directory "
     "of the tristate binary (/usr/share/tristate/quizzes for /usr/bin/tristate)."},
    {"XDG_CACHE_HOME", "The lab's kernel cache is $XDG_CACHE_HOME/tristate (default ~/.cache/tristate)."},
    {"TRISTATE_ACCEL", "tcg, kvm or auto (default): how qemu runs lab guests."},
    {"TRISTATE_DEBIAN_SOURCES",
     "The deb822 apt sources file the lab reads the Debian mirrors from (default "
     "/etc/apt/sources.list.d/debian.sources); the machine's apt sources are never modified."},
    {"NO_COLOR", "When set and not empty, no colour unless --color=always."},
    {"TERM", "dumb: no colour unless --color=always."},
};

bool visible(const CLI::App* a) { return !a->get_group().empty(); }
bool visible(const CLI::Option* o) { return !o->get_group().empty(); }

std::vector<const CLI::App*> children(const CLI::App& app) {
  std::vector<const CLI::App*> out;
  for (const auto* s : app.get_subcommands([](const CLI::App* s) { return visible(s); })) out.push_back(s);
  return out;
}

std::vector<const CLI::Option*> options_of(const CLI::App& app, bool positional) {
  std::vector<const CLI::Option*> out;
  for (const auto* o : app.get_options([&](const CLI::Option* o) { return visible(o) && o->get_positional() == positional; }))
    out.push_back(o);
  return out;
}

bool takes_value(const CLI::Option* o) { return o->get_items_expected_max() != 0; }

std::vector<std::string> flag_names(const CLI::Option* o) {
  std::vector<std::string> names;
  for (const auto& s : o->get_snames()) names.push_back("-" + s);
  for (const auto& l : o->get_lnames()) names.push_back("--" + l);
  return names;
}

// roff: a backslash is \e, a minus in a flag \-, and no line may start with a control dot.
std::string roff(const std::string& text, bool minus = false) {
  std::string out;
  for (char c : text) {
    if (c == '\\') out += "\\e";
    else if (c == '-' && minus) out += "\\-";
    else out += c;
  }
  if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out = "\\&" + out;
  return out;
}

// CLI11 descriptions are plain text with hard line breaks; indented lines (examples) stay
// verbatim, the others are filled by man.
std::string roff_block(const std::string& text) {
  std::ostringstream out;
  std::istringstream in(text);
  std::string line;
  bool verbatim = false;
  while (std::getline(in, line)) {
    const bool indented = !line.empty() && line[0] == ' ';
    if (indented && !verbatim) out << ".PP\n.nf\n";
    if (!indented && verbatim) out << ".fi\n";
    verbatim = indented;
    if (line.empty()) out << ".PP\n";
    else out << roff(line, indented) << "\n";
  }
  if (verbatim) out << ".fi\n";
  return out.str();
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// The first sentence of a description, over its line breaks, stopping before examples: the
// whatis line of a page and the text beside a command's name.
std::string summary(const std::string& text) {
  std::istringstream in(text);
  std::string line, out;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == ' ' || line.rfind("Example", 0) == 0) break;
    out += (out.empty() ? "" : " ") + line;
    if (const auto dot = out.find(". "); dot != std::string::npos) return out.substr(0, dot);
  }
  if (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

std::string full_name(const CLI::App& a) {
  std::string name = a.get_name();
  for (const CLI::App* p = a.get_parent(); p != nullptr && p->get_parent() != nullptr; p = p->get_parent())
    name = p->get_name() + " " + name;
  return name;
}

void roff_options(std::ostringstream& out, const CLI::App& a) {
  for (const auto* o : options_of(a, false)) {
    out << ".TP\n";
    const auto names = flag_names(o);
    std::string line;
    for (size_t i = 0; i < names.size(); ++i) line += (i ? ", " : "") + std::string("\\fB") + roff(names[i], true) + "\\fR";
    if (takes_value(o)) line += " \\fI" + roff(o->get_type_name()) + "\\fR";
    out << line << "\n" << roff(o->get_description()) << "\n";
    if (!o->get_default_str().empty() && takes_value(o)) out << ".br\nDefault: " << roff(o->get_default_str()) << "\n";
  }
  for (const auto* o : options_of(a, true)) {
    out << ".TP\n\\fI" << roff(o->get_name()) << "\\fR\n" << roff(o->get_description()) << "\n";
  }
}

std::string synopsis(const CLI::App& a) {
  std::string s = "\\fBtristate " + roff(full_name(a), true) + "\\fR [\\fIOPTIONS\\fR]";
  if (!children(a).empty()) s += " [\\fICOMMAND\\fR]";
  for (const auto* o : options_of(a, true)) {
    const std::string name = "\\fI" + roff(o->get_name()) + "\\fR" + (o->get_items_expected_max() > 1 ? "..." : "");
    s += o->get_required() ? " " + name : " [" + name + "]";
  }
  return s;
}

std::string page_head(const std::string& title, const std::string& name, const std::string& summary,
                      const std::string& version) {
  std::ostringstream out;
  out << ".\\\" Generated by `tristate man` from the command definitions; do not edit.\n"
      << ".TH " << title << " 1 \"\" \"tristate " << version << "\" \"User Commands\"\n"
      << ".SH NAME\n" << roff(name, true) << " \\- " << roff(summary) << "\n";
  return out.str();
}

const char* kExitStatus =
    ".SH EXIT STATUS\n.TP\n0\neverything as expected (every step matched, kernels agree)\n"
    ".TP\n1\nsome step differs from its quiz, or kernels differ\n"
    ".TP\n2\nbad usage or input (named by file:line:column), a missing privilege, tool or feature, "
    "or a run that could not complete\n";

std::string command_page(const CLI::App& c, const std::string& version) {
  std::ostringstream out;
  std::string title = "TRISTATE-" + c.get_name();
  for (auto& ch : title) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  out << page_head(title, "tristate-" + c.get_name(), summary(c.get_description()), version);
  out << ".SH SYNOPSIS\n" << synopsis(c) << "\n";
  out << ".SH DESCRIPTION\n" << roff_block(c.get_description());
  out << ".SH OPTIONS\n";
  roff_options(out, c);
  for (const auto* n : children(c)) {
    out << ".SH COMMAND: " << roff(full_name(*n)) << "\n" << synopsis(*n) << "\n.PP\n"
        << roff_block(n->get_description());
    roff_options(out, *n);
  }
  if (!c.get_footer().empty()) out << ".SH EXAMPLES\n" << roff_block(c.get_footer());
  out << kExitStatus;
  out << ".SH SEE ALSO\n\\fBtristate\\fR(1)\n";
  return out.str();
}

std::string main_page(const CLI::App& app, const std::string& version) {
  std::ostringstream out;
  std::string what = summary(app.get_description());
  if (what.rfind("tristate: ", 0) == 0) what = what.substr(10);
  out << page_head("TRISTATE", "tristate", what, version);
  out << ".SH SYNOPSIS\n\\fBtristate\\fR [\\fIOPTIONS\\fR] \\fICOMMAND\\fR [\\fIARGS\\fR...]\n";
  out << ".SH DESCRIPTION\n" << roff_block(app.get_description());
  out << ".SH OPTIONS\nThese come before or after the command.\n";
  roff_options(out, app);
  out << ".SH COMMANDS\n";
  for (const auto* c : children(app))
    out << ".TP\n\\fBtristate-" << c->get_name() << "\\fR(1)\n" << roff(summary(c->get_description())) << "\n";
  out << ".SH ENVIRONMENT\n";
  for (const auto& e : kEnvironment) out << ".TP\n.B " << e.name << "\n" << roff(e.what) << "\n";
  out << kExitStatus;
  out << ".SH SEE ALSO\n";
  std::string sep;
  for (const auto* c : children(app)) {
    out << sep << "\\fBtristate-" << c->get_name() << "\\fR(1)";
    sep = ",\n";
  }
  out << "\n";
  return out.str();
}

std::string words(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& w : v) s += (s.empty() ? "" : " ") + w;
  return s;
}

std::vector<std::string> all_flags(const CLI::App& a) {
  std::vector<std::string> v;
  for (const auto* o : options_of(a, false))
    for (const auto& n : flag_names(o)) v.push_back(n);
  return v;
}

std::vector<std::string> value_flags(const CLI::App& a) {
  std::vector<std::string> v;
  for (const auto* o : options_of(a, false))
    if (takes_value(o))
      for (const auto& n : flag_names(o)) v.push_back(n);
  return v;
}

// single quotes for zsh's _arguments: ' becomes '\''
std::string zquote(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else if (c == '[' || c == ']' || c == ':') out += std::string("\\") + c;
    else out += c;
  }
  return out;
}

std::string zsh_value(const CLI::Option* o) {
  const auto l = o->get_lnames();
  const std::string name = l.empty() ? "" : l.front();
  if (name == "kernel") return ":kernel:_tristate_kernels";
  if (name == "color") return ":when:(auto always never)";
  return ":" + zquote(o->get_type_name().empty() ? "value" : o->get_type_name()) + ":_files";
}

void zsh_arguments(std::ostringstream& out, const CLI::App& a, const std::string& indent) {
  out << indent << "_arguments -s -S \\\n";
  for (const auto* o : options_of(a, false)) {
    const auto names = flag_names(o);
    const std::string desc = "[" + zquote(first_line(o->get_description())) + "]";
    const std::string value = takes_value(o) ? zsh_value(o) : "";
    const bool repeat = o->get_expected_max() > 1 || o->get_multi_option_policy() == CLI::MultiOptionPolicy::TakeAll;
    if (names.size() == 1) {
      out << indent << "  '" << (repeat ? "*" : "") << names[0] << desc << value << "' \\\n";
    } else {
      std::string group = "(" + words(names) + ")";
      out << indent << "  '" << (repeat ? "*" : group) << "'{" ;
      for (size_t i = 0; i < names.size(); ++i) out << (i ? "," : "") << names[i];
      out << "}'" << desc << value << "' \\\n";
    }
  }
  const auto pos = options_of(a, true);
  if (!pos.empty()) {
    const bool quizzes = pos.front()->get_name() == "quizzes";
    out << indent << "  '*:" << zquote(pos.front()->get_name()) << ":" << (quizzes ? "_tristate_quizzes" : "_files") << "'\n";
  } else {
    out << indent << "  && return 0\n";
  }
}

}  // namespace

std::vector<const CLI::App*> visible_commands(const CLI::App& app) { return children(app); }

std::vector<ManPage> man_pages(const CLI::App& app, const std::string& version) {
  std::vector<ManPage> pages{{"tristate.1", main_page(app, version)}};
  for (const auto* c : children(app)) pages.push_back({"tristate-" + c->get_name() + ".1", command_page(*c, version)});
  return pages;
}

std::string bash_completion(const CLI::App& app) {
  std::ostringstream out;
  std::vector<std::string> names;
  for (const auto* c : children(app)) names.push_back(c->get_name());
  out << "# bash completion for tristate; generated by `tristate completion bash`.\n"
      << "_tristate_quizzes() { tristate quiz --list 2>/dev/null | awk 'NR > 1 { print $1 }'; }\n"
      << "_tristate() {\n"
      << "  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
      << "  local cmd= sub= i w\n"
      << "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
      << "    w=${COMP_WORDS[i]}\n"
      << "    [[ $w == -- ]] && return 0  # a command line for the guest or the traced program\n"
      << "    [[ $w == -* ]] && continue\n"
      << "    if [[ -z $cmd ]]; then case \" " << words(names) << " \" in *\" $w \"*) cmd=$w ;; esac\n"
      << "    elif [[ -z $sub ]]; then sub=$w; fi\n"
      << "  done\n"
      << "  local global='" << words(all_flags(app)) << "'\n"
      << "  local opts= values='" << words(value_flags(app)) << "' nested= words=\n"
      << "  case $cmd in\n";
  for (const auto* c : children(app)) {
    std::vector<std::string> nested;
    for (const auto* n : children(*c)) nested.push_back(n->get_name());
    auto flags = all_flags(*c);
    auto values = value_flags(*c);
    for (const auto* n : children(*c)) {
      for (const auto& f : all_flags(*n)) flags.push_back(f);
      for (const auto& f : value_flags(*n)) values.push_back(f);
    }
    out << "    " << c->get_name() << ") opts='" << words(flags) << "' values+=' " << words(values) << "'";
    if (!nested.empty()) out << " nested='" << words(nested) << "'";
    const auto pos = options_of(*c, true);
    if (!pos.empty() && pos.front()->get_name() == "quizzes") out << " words=$(_tristate_quizzes)";
    if (c->get_name() == "help" || c->get_name() == "completion") out << " words='" << (c->get_name() == "help" ? words(names) : "bash zsh") << "'";
    out << " ;;\n";
  }
  out << "  esac\n"
      << "  case $prev in\n"
      << "    --color) COMPREPLY=($(compgen -W 'auto always never' -- \"$cur\")); return 0 ;;\n"
      << "    -k|--kernel) COMPREPLY=($(compgen -W 'host 5.10 6.1 6.12 latest' -- \"$cur\") $(compgen -f -- \"$cur\")); return 0 ;;\n"
      << "  esac\n"
      << "  if [[ \" $values \" == *\" $prev \"* ]]; then COMPREPLY=($(compgen -f -- \"$cur\")); return 0; fi\n"
      << "  if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W \"$opts $global\" -- \"$cur\")); return 0; fi\n"
      << "  if [[ -z $cmd ]]; then COMPREPLY=($(compgen -W '" << words(names) << "' -- \"$cur\")); return 0; fi\n"
      << "  if [[ -n $nested && -z $sub ]]; then COMPREPLY=($(compgen -W \"$nested\" -- \"$cur\")); return 0; fi\n"
      << "  COMPREPLY=($(compgen -W \"$words\" -- \"$cur\") $(compgen -f -- \"$cur\"))\n"
      << "}\n"
      << "complete -o filenames -F _tristate tristate\n";
  return out.str();
}

std::string zsh_completion(const CLI::App& app) {
  std::ostringstream out;
  out << "#compdef tristate\n# zsh completion for tristate; generated by `tristate completion zsh`.\n\n"
      << "_tristate_quizzes() {\n  local -a q\n  q=(${(f)\"$(tristate quiz --list 2>/dev/null | awk 'NR > 1 { print $1 }')\"})\n"
      << "  _alternative 'quizzes:quiz:compadd -a q' 'files:file:_files'\n}\n\n"
      << "_tristate_kernels() {\n  _alternative 'series:series:(host 5.10 6.1 6.12 latest)' 'files:vmlinuz:_files'\n}\n\n"
      << "_tristate() {\n  local curcontext=$curcontext state line\n  local -a commands\n  commands=(\n";
  for (const auto* c : children(app))
    out << "    '" << c->get_name() << ":" << zquote(summary(c->get_description())) << "'\n";
  out << "  )\n";
  std::ostringstream top;
  zsh_arguments(top, app, "  ");
  std::string t = top.str();
  t = t.substr(0, t.rfind("  && return 0\n"));
  out << t << "  '1:command:->command' \\\n  '*::arg:->args'\n"
      << "  case $state in\n    command) _describe -t commands command commands ;;\n    args)\n"
      << "      case $words[1] in\n";
  for (const auto* c : children(app)) {
    out << "        " << c->get_name() << ")\n";
    const auto nested = children(*c);
    if (c->get_name() == "help") {
      out << "          _describe -t commands command commands ;;\n";
      continue;
    }
    if (c->get_name() == "completion") {
      out << "          _values shell bash zsh ;;\n";
      continue;
    }
    if (nested.empty()) {
      zsh_arguments(out, *c, "          ");
      out << "          ;;\n";
      continue;
    }
    out << "          if (( CURRENT == 2 )); then\n            _values command";
    for (const auto* n : nested) out << " '" << n->get_name() << "[" << zquote(first_line(n->get_description())) << "]'";
    out << "\n          else\n            case $words[2] in\n";
    for (const auto* n : nested) {
      out << "              " << n->get_name() << ")\n                shift words; (( CURRENT-- ))\n";
      zsh_arguments(out, *n, "                ");
      out << "                ;;\n";
    }
    out << "            esac\n          fi ;;\n";
  }
  out << "      esac ;;\n  esac\n}\n\n_tristate \"$@\"\n";
  return out.str();
}

}  // namespace tristate::cli
