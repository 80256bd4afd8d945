"""The docs say what the code does: the op table, the config keys and the API reference
are compared with the code, text and not only headings."""
import ast
import builtins
import dataclasses
import importlib
import inspect
import pathlib
import pkgutil
import re

import pytest
import yaml

import azdeap
from azdeap import config, ops
from azdeap.space import Memory

DOCS = pathlib.Path(__file__).resolve().parents[1] / "docs"


def _section(text, title):
    """The text under the markdown heading ``#... title``, up to the next heading."""
    match = re.search(r"^#+ %s\n" % re.escape(title), text, re.M)
    assert match, "no section %r" % title
    end = re.compile(r"^#+ ", re.M).search(text, match.end())
    return text[match.end():end.start() if end else len(text)]


def _table_rows(text):
    """The cells of every markdown table row in text, without header and rule rows."""
    rows = []
    for line in text.splitlines():
        if not line.startswith("|"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        if set(line) <= set("|-: "):
            continue
        rows.append(cells)
    return rows


# -- design.md: the op table ---------------------------------------------------------
def _kinds(kinds):
    return ", ".join(ops.KIND_PREFIX[k] for k in kinds) or "-"


def _text_form(op):
    """The op's form with addresses shown as so/sa/sb (vo, ma...) and data as d0-d2."""
    def address(kind, letter):
        return ops.KIND_PREFIX[kind] + letter if kind != ops.NO_KIND else ""
    inputs = op.inputs + (ops.NO_KIND, ops.NO_KIND)
    return op.form.format(o=address(op.output, "o"), a=address(inputs[0], "a"),
                          b=address(inputs[1], "b"), d0="d0", d1="d1", d2="d2")


def test_design_op_table_matches_the_code_row_by_row():
    text = (DOCS / "design.md").read_text()
    rows = [row for row in _table_rows(_section(text, "Ops")) if row[0].isdigit()]
    documented = [(int(code), name, kinds_in, kind_out, form.strip("`"), int(cost))
                  for code, name, kinds_in, kind_out, _, form, cost in rows]
    expected = [(op.code, op.name, _kinds(op.inputs),
                 _kinds((op.output,) if op.output != ops.NO_KIND else ()), _text_form(op),
                 op.cost)
                for op in ops.OPS]
    assert len(documented) == ops.NUM_OPS
    for row, want in zip(documented, expected):
        assert row == want


def test_design_has_the_sections_the_code_cites():
    text = (DOCS / "design.md").read_text()
    headings = re.findall(r"^## (.+)$", text, re.M)
    assert headings == ["Memory", "Ops", "Random instructions", "Execution", "Fitness", "FEC",
                        "Hurdles", "Live code", "Mutations", "Search loop", "Experiments",
                        "Tasks", "Multi-class tasks", "Notation", "Parallelism",
                        "Differences from the original"]
    root = DOCS.parent
    paths = [root / "README.md"]
    for pattern in ("azdeap/*.py", "tests/*.py", "examples/*", "benchmarks/*", "docs/*.md",
                    "configs/*.yaml"):
        paths += root.glob(pattern)
    cited = set()  # (file, section title) of every citation of the design document
    for path in paths:
        for title in re.findall(r'design\.md\)?,\s+(?:#\s+)?"([^"]+)"', path.read_text()):
            cited.add((path.name, title))
    assert cited, "nothing cites docs/design.md"
    for name, title in cited:
        assert title in headings, "%s cites a missing section %r" % (name, title)


# -- configs.md: every key of every config section ----------------------------------
# The heading of configs.md that documents each config section (one key table each).
CONFIG_SECTIONS = {
    config.Config: "Top level",
    Memory: "`memory`",
    config.Tasks: "`tasks`",
    config.TaskSpec: "Task specs",
    config.Components: "`components`",
    config.Component: "A component",
    config.Evolution: "`evolution`",
    config.Fitness: "`fitness`",
    config.Fec: "`fitness.fec`",
    config.Hurdles: "`fitness.hurdles`",
    config.TrainBudget: "`fitness.train_budget`",
    config.Budget: "`budget`",
    config.Experiments: "`experiments`",
    config.Islands: "`islands`",
}


def _fields(cls):
    return [f.name for f in dataclasses.fields(cls)] if dataclasses.is_dataclass(cls) \
        else list(cls._fields)


def _defaults(cls):
    return {name: getattr(cls(), name) for name in _fields(cls)}


def _section_classes():
    """Every config section class reachable from Config's defaults, and every dataclass
    of azdeap.config."""
    found, todo = set(), [config.Config]
    while todo:
        cls = todo.pop()
        if cls in found:
            continue
        found.add(cls)
        for value in _defaults(cls).values():
            items = (value,) if isinstance(value, Memory) or not isinstance(value, tuple) \
                else value
            for item in items:
                if dataclasses.is_dataclass(item) or isinstance(item, Memory):
                    todo.append(type(item))
    found.update(obj for obj in vars(config).values() if inspect.isclass(obj)
                 and dataclasses.is_dataclass(obj) and obj.__module__ == config.__name__)
    return found


def _key_table(cls):
    """{key: default cell} of the key table under the class's heading in configs.md."""
    text = (DOCS / "configs.md").read_text()
    rows = _table_rows(_section(text, CONFIG_SECTIONS[cls]))
    assert rows and rows[0][:2] == ["key", "default"], CONFIG_SECTIONS[cls]
    return {row[0].strip("`"): row[1] for row in rows[1:]}


def test_configs_doc_covers_every_config_section():
    assert _section_classes() == set(CONFIG_SECTIONS)


@pytest.mark.parametrize("cls", list(CONFIG_SECTIONS), ids=lambda cls: cls.__name__)
def test_configs_doc_lists_exactly_the_keys_of_each_section(cls):
    assert sorted(_key_table(cls)) == sorted(_fields(cls))


def _yaml_value(value):
    """A config value as YAML reads it back: tuples as lists, numbers as floats."""
    plain = config.config_to_dict(value)
    if isinstance(plain, (int, float)) and not isinstance(plain, bool):
        return float(plain)
    return plain


def _documented_value(cell):
    value = yaml.safe_load(cell.strip("`"))
    if isinstance(value, str):  # YAML 1.1 reads 2e8 as a string
        try:
            return float(value)
        except ValueError:
            return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return value


@pytest.mark.parametrize("cls", list(CONFIG_SECTIONS), ids=lambda cls: cls.__name__)
def test_configs_doc_defaults_match_the_code(cls):
    """A default written as one YAML value in backticks is the code's default."""
    defaults = _defaults(cls)
    checked = 0
    for key, cell in _key_table(cls).items():
        if not re.fullmatch(r"`[^`]+`", cell):
            continue  # prose, e.g. "setup 10, predict 2, learn 8"
        assert _documented_value(cell) == _yaml_value(defaults[key]), (cls.__name__, key, cell)
        checked += 1
    assert checked or cls in (config.Components,), cls.__name__


# -- api.md: signatures and completeness ----------------------------------------------
API = DOCS / "api.md"



def _documented_signatures():
    """(dotted name, parameter text) of every ``### `azdeap.x.Name(params)` `` heading."""
    return re.findall(r"^#{3,4} `(azdeap\.[\w.]+)\((.*)\)`$", API.read_text(), re.M)


def _documented_names():
    return set(re.findall(r"^#{3,4} `(azdeap\.[\w.]+?)(?:\(.*\))?`", API.read_text(), re.M))


def _resolve(dotted):
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ModuleNotFoundError:
            continue
        module = obj
        for name in parts[i:]:
            obj = getattr(obj, name)
        return module, obj
    raise LookupError(dotted)


def _public_names():
    """azdeap.<module>.<name> of every public function, class and numba function defined
    at module level in a module of the package."""
    names = set()
    for info in pkgutil.iter_modules(azdeap.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module("azdeap." + info.name)
        for name, obj in vars(module).items():
            is_code = (inspect.isfunction(obj) or inspect.isclass(obj)
                       or inspect.isfunction(getattr(obj, "py_func", None)))
            if is_code and not name.startswith("_") and \
                    getattr(obj, "__module__", None) == module.__name__:
                names.add("%s.%s" % (module.__name__, name))
    return names


def test_api_doc_signatures_match_the_code():
    """Every signature heading in docs/api.md names the code's parameters, in order, with
    the code's defaults."""
    documented = _documented_signatures()
    assert len(documented) > 60
    for dotted, params in documented:
        module, obj = _resolve(dotted)
        actual = [p for p in inspect.signature(obj).parameters.values() if p.name != "self"]
        call = ast.parse("f(%s)" % params, mode="eval").body
        written = [(arg.id, None) for arg in call.args] + [(k.arg, k.value) for k in call.keywords]
        assert [name for name, _ in written] == [p.name for p in actual], dotted
        namespace = dict(vars(builtins), **vars(module))
        for (name, default), param in zip(written, actual):
            assert (default is not None) == (param.default is not inspect.Parameter.empty), \
                (dotted, name)
            if default is not None:
                value = eval(ast.unparse(default), namespace)
                assert value == param.default, (dotted, name, value, param.default)


def test_api_doc_headings_name_existing_code():
    for dotted in _documented_names():
        _resolve(dotted)  # AttributeError or LookupError if the name is gone


def test_api_doc_documents_every_public_name():
    public = _public_names()
    missing = public - _documented_names()
    assert not missing, "api.md has no heading for: %s" % ", ".join(sorted(missing))


def test_api_doc_lists_every_module():
    text = API.read_text()
    for info in pkgutil.iter_modules(azdeap.__path__):
        if not info.name.startswith("_"):
            assert "azdeap.%s" % info.name in text, info.name
