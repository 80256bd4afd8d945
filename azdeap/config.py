"""Experiment configurations: YAML files loaded into frozen dataclasses.

Every section and key is optional; the defaults are the 5-minute demo (docs/configs.md),
so ``load_config(None) == Config()`` is the demo.  Every key is validated: an unknown
key, a wrong type or a bad value raises ``ConfigError`` with one line naming the file
and the key path, e.g. ``configs/x.yaml: evolution.population: expected an integer >= 2,
got 'abc'``.  See ``configs/demo.yaml`` for the annotated schema.
"""
import dataclasses
import difflib
import math
from dataclasses import dataclass
from typing import Optional

import yaml

from azdeap import mutation, ops
from azdeap.budget import BASELINES
from azdeap.notation import parse_algorithm
from azdeap.space import Memory, SearchSpace, SpaceError, check_space
from azdeap.tasks import KINDS as TASK_KINDS, MAX_SEED, PAIR_GROUPS

DEMO_OPS = tuple(ops.op_code(name) for name in (
    "SCALAR_CONST_SET", "VECTOR_INNER_PRODUCT", "SCALAR_DIFF", "SCALAR_PRODUCT",
    "SCALAR_VECTOR_PRODUCT", "VECTOR_SUM"))
MUTATIONS = tuple(mutation.MUTATIONS)


class ConfigError(ValueError):
    """An invalid configuration; the message is one line: ``file: key.path: problem``."""


class _Invalid(Exception):
    def __init__(self, path, message):
        super().__init__(path, message)
        self.path, self.message = path, message


# -- checkers: (value, path) -> normalized value, or raise _Invalid ---------------------
def _show(value):
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _int(lo=None, hi=None):
    bounds = (" >= %d" % lo if hi is None else " in %d..%d" % (lo, hi)) if lo is not None else ""

    def check(value, path):
        number = value
        if isinstance(value, str):  # YAML 1.1 reads 2e8 as a string
            for parse in (int, float):
                try:
                    number = parse(value.strip())
                    break
                except ValueError:
                    pass
        if isinstance(number, float) and math.isfinite(number) and number.is_integer():
            number = int(number)
        if (isinstance(number, bool) or not isinstance(number, int)
                or (lo is not None and number < lo) or (hi is not None and number > hi)):
            raise _Invalid(path, "expected an integer%s, got %s" % (bounds, _show(value)))
        return number
    return check


def _float(lo, hi=math.inf, open_lo=False):
    what = "a number %s %g" % (">" if open_lo else ">=", lo) + (
        "" if hi == math.inf else " and <= %g" % hi)

    def check(value, path):
        try:
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                raise ValueError
            number = float(value)
            if not (lo < number if open_lo else lo <= number) or not number <= hi \
                    or not math.isfinite(number):
                raise ValueError
        except ValueError:
            raise _Invalid(path, "expected %s, got %s" % (what, _show(value))) from None
        return number
    return check


def _choice(*options):
    def check(value, path):
        if isinstance(value, str) and value.lower() in options:
            return value.lower()
        raise _Invalid(path, "expected one of %s, got %s" % (", ".join(options), _show(value)))
    return check


def _bool(value, path):
    if not isinstance(value, bool):
        raise _Invalid(path, "expected true or false, got %s" % _show(value))
    return value


def _string(value, path):
    if not isinstance(value, str) or not value:
        raise _Invalid(path, "expected a non-empty string, got %s" % _show(value))
    return value


def _nullable(check):
    return lambda value, path: None if value is None else check(value, path)


def _list(item, nonempty=False, single=False):
    def check(value, path):
        if single and isinstance(value, dict):
            value = [value]
        if not isinstance(value, list) or (nonempty and not value):
            raise _Invalid(path, "expected a %slist, got %s"
                           % ("non-empty " if nonempty else "", _show(value)))
        return tuple(item(v, "%s[%d]" % (path, i)) for i, v in enumerate(value))
    return check


def _op(value, path):
    try:
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise ValueError("expected an op name or code, got %s" % _show(value))
        return ops.op_code(value)
    except ValueError as error:
        raise _Invalid(path, str(error)) from None


def _pair(value, path):
    pair = _list(_int(0))(value, path)
    if len(pair) != 2 or pair[0] == pair[1]:
        raise _Invalid(path, "expected a pair [a, b] of two different classes, got %s"
                       % _show(value))
    return pair


def _classes(value, path):
    """all, or a list of at least 2 different classes: a multi-class task's."""
    if isinstance(value, str) and value.lower() == "all":
        return "all"
    classes = _list(_int(0))(value, path) if isinstance(value, list) else None
    if classes is None or len(classes) < 2 or len(set(classes)) < len(classes):
        raise _Invalid(path, "expected all or a list of at least 2 different classes, got %s"
                       % _show(value))
    return classes


def _init(value, path):
    if not isinstance(value, str) or (value.lower() not in ("random", "noop")
                                      and "def " not in value):
        raise _Invalid(path, "expected random, noop or an algorithm listing "
                       "('def Setup(): ...'), got %s" % _show(value))
    return value.lower() if value.lower() in ("random", "noop") else value


def _section(cls, fields=None):
    """A mapping built into ``cls``; ``fields`` maps each key to its checker (default:
    the ``check`` metadata of the dataclass fields).  Absent keys keep their defaults."""
    fields = fields or {f.name: f.metadata["check"] for f in dataclasses.fields(cls)}

    def check(value, path):
        if not isinstance(value, dict):
            raise _Invalid(path or "(top level)", "expected a mapping, got %s" % _show(value))
        kwargs = {}
        for key, item in value.items():
            where = "%s.%s" % (path, key) if path else str(key)
            if key not in fields:
                close = difflib.get_close_matches(str(key), fields, 1)
                raise _Invalid(where, "unknown key (%s)" % (
                    "did you mean %r?" % close[0] if close else "allowed: " + ", ".join(fields)))
            kwargs[key] = fields[key](item, where)
        return cls(**kwargs)
    return check


_POSITIVE = _int(1)
_SEED = _int(0, MAX_SEED)


def _f(default, check):
    return dataclasses.field(default=default, metadata={"check": check})


@dataclass(frozen=True)
class TaskSpec:
    kind: str = _f("linear", _choice(*TASK_KINDS))
    count: int = _f(1, _POSITIVE)
    features: int = _f(4, _int(1, 256))
    train: int = _f(100, _POSITIVE)
    valid: int = _f(100, _POSITIVE)
    param_seeds: tuple = _f((), _list(_SEED))  # empty: the default seeds of azdeap.tasks
    data_seeds: tuple = _f((), _list(_SEED))
    dataset: Optional[str] = _f(None, _nullable(_string))  # projected: azdeap.datasets
    class_pairs: Optional[tuple] = _f(None, _nullable(_list(_pair, nonempty=True)))
    classes: Optional[tuple] = _f(None, _nullable(_classes))  # projected: multi-class tasks
    group: int = _f(0, _int(0))  # tasks.search only: island i searches group i mod G
    pairs: str = _f("all", _choice(*PAIR_GROUPS))  # projected: all, or a split_pairs part
    valid_from: str = _f("train", _choice("train", "test"))  # projected: the valid examples
    epochs: int = _f(1, _POSITIVE)


_TASKS = _list(_section(TaskSpec), nonempty=True, single=True)


@dataclass(frozen=True)
class Tasks:
    search: tuple = _f((TaskSpec(count=10),), _TASKS)
    select: tuple = _f((TaskSpec(count=100, train=1000),), _TASKS)
    final: tuple = _f((TaskSpec(count=100, train=1000, param_seeds=(2000000,),
                                data_seeds=(1000000,)),), _TASKS)
    randomize_seeds: bool = _f(True, _bool)


@dataclass(frozen=True)
class Component:
    ops: tuple = _f(DEMO_OPS, _list(_op))           # op codes; empty = frozen component
    size: int = _f(10, _int(0))
    min: Optional[int] = _f(None, _nullable(_int(0)))  # None = size
    max: Optional[int] = _f(None, _nullable(_int(1)))  # None = size + 1 (INSERT stops at max-1)

    @property
    def min_size(self):
        return self.size if self.min is None else self.min

    @property
    def max_size(self):
        return self.size + 1 if self.max is None else self.max


@dataclass(frozen=True)
class Components:
    setup: Component = _f(Component(size=10), _section(Component))
    predict: Component = _f(Component(size=2), _section(Component))
    learn: Component = _f(Component(size=8), _section(Component))


@dataclass(frozen=True)
class Evolution:
    init: str = _f("random", _init)  # "random", "noop" or an algorithm listing
    population: int = _f(1000, _int(2))
    tournament: int = _f(10, _POSITIVE)
    mutations: tuple = _f(("alter_param", "randomize_instruction", "randomize_component"),
                          _list(_choice(*MUTATIONS), nonempty=True))
    mutate_prob: float = _f(0.9, _float(0.0, 1.0))
    constant_rule: str = _f("original", _choice("original", "paper"))
    batch: int = _f(100, _POSITIVE)  # children per batch; 1 = exact sequential
    lineage: bool = _f(False, _bool)  # record ancestries (docs/design.md, "Search loop")


@dataclass(frozen=True)
class Fec:
    train: int = _f(10, _POSITIVE)
    valid: int = _f(10, _int(0))
    cache_size: int = _f(100000, _POSITIVE)
    forget_every: int = _f(100, _POSITIVE)
    by_form: bool = _f(False, _bool)   # answer by pruned form before the fingerprint


@dataclass(frozen=True)
class Hurdles:
    tasks: Optional[int] = _f(1, _nullable(_POSITIVE))     # None = all search tasks
    train: Optional[int] = _f(None, _nullable(_POSITIVE))  # None = all training examples
    percentile: float = _f(75.0, _float(0.0, 100.0))


def _baseline(value, path):
    if isinstance(value, str) and value.lower() in BASELINES:
        return value.lower()
    if not isinstance(value, str) or "def " not in value:
        raise _Invalid(path, "expected %s or an algorithm listing ('def Setup(): ...'), got %s"
                       % (" or ".join(BASELINES), _show(value)))
    try:
        parse_algorithm(value)
    except ValueError as error:  # NotationError: "line N: problem"
        raise _Invalid(path, "listing " + " ".join(str(error).split())) from None
    return value


@dataclass(frozen=True)
class TrainBudget:
    baseline: str = _f("neural_network", _baseline)  # a name of azdeap.budget.BASELINES
    factor: float = _f(2.0, _float(0.0, open_lo=True))


@dataclass(frozen=True)
class Fitness:
    combination: str = _f("mean", _choice("mean", "median"))
    max_abs_error: float = _f(100.0, _float(0.0, open_lo=True))
    fec: Optional[Fec] = _f(Fec(), _nullable(_section(Fec)))  # None = FEC off
    hurdles: Optional[Hurdles] = _f(None, _nullable(_section(Hurdles)))  # None = off
    train_budget: Optional[TrainBudget] = _f(None, _nullable(_section(TrainBudget)))
    prune: bool = _f(True, _bool)  # run only live code (docs/design.md, "Live code")


@dataclass(frozen=True)
class Budget:  # per experiment; None = no limit, at least one must be set
    max_train_steps: Optional[int] = _f(200_000_000, _nullable(_POSITIVE))
    max_individuals: Optional[int] = _f(None, _nullable(_POSITIVE))
    max_seconds: Optional[float] = _f(None, _nullable(_float(0.0, open_lo=True)))


@dataclass(frozen=True)
class Experiments:
    sufficient_fitness: float = _f(0.9999, _float(0.0))
    max: int = _f(0, _int(0))  # 0 = unlimited


@dataclass(frozen=True)
class Islands:  # one search over several populations with migration
    count: int = _f(1, _POSITIVE)
    migrate_every: int = _f(50000, _POSITIVE)  # individuals per island between migrations
    migrants: int = _f(50, _int(0))
    topology: str = _f("ring", _choice("ring", "random"))


_MEMORY = _section(Memory, {"scalars": _int(2), "vectors": _int(1), "matrices": _int(0)})


@dataclass(frozen=True)
class Config:
    seed: Optional[int] = _f(None, _nullable(_SEED))  # None = time-based; 0..2**63-1
    memory: Memory = _f(Memory(), _MEMORY)
    tasks: Tasks = _f(Tasks(), _section(Tasks))
    components: Components = _f(Components(), _section(Components))
    evolution: Evolution = _f(Evolution(), _section(Evolution))
    fitness: Fitness = _f(Fitness(), _section(Fitness))
    budget: Budget = _f(Budget(), _section(Budget))
    experiments: Experiments = _f(Experiments(), _section(Experiments))
    progress_every: int = _f(10000, _POSITIVE)
    islands: Islands = _f(Islands(), _section(Islands))
    checkpoint_every: float = _f(60.0, _float(0.0))  # seconds; 0 = after every epoch

    def multiclass(self) -> bool:
        """Whether a task spec makes multi-class tasks (docs/design.md, "Multi-class tasks")."""
        return any(spec.classes is not None
                   for group in (self.tasks.search, self.tasks.select, self.tasks.final)
                   for spec in group)

    def search_space(self):
        """The azdeap.algorithm.SearchSpace of the components and memory."""
        parts = [getattr(self.components, name) for name in ("setup", "predict", "learn")]
        return SearchSpace(self.memory, tuple(tuple(c.ops) for c in parts),
                           tuple(c.size for c in parts), tuple(c.min_size for c in parts),
                           tuple(c.max_size for c in parts))


def _cross_check(config):
    """Checks that involve more than one key."""
    try:
        check_space(config.search_space())
    except SpaceError as error:
        where = "memory" if error.where == "memory" else "components." + error.where
        raise _Invalid(where.replace("components.ops", "components"), error.problem) from None
    for group in ("search", "select", "final"):
        for i, spec in enumerate(getattr(config.tasks, group)):
            where = "tasks.%s[%d]" % (group, i)
            if spec.kind == "projected" and spec.dataset is None:
                raise _Invalid(where + ".dataset", "required for kind projected")
            for key, default in (("dataset", None), ("class_pairs", None), ("pairs", "all"),
                                 ("valid_from", "train"), ("classes", None)):
                if spec.kind != "projected" and getattr(spec, key) != default:
                    raise _Invalid("%s.%s" % (where, key), "only for kind projected")
            if spec.classes is not None:
                for key, default in (("class_pairs", None), ("pairs", "all")):
                    if getattr(spec, key) != default:
                        raise _Invalid("%s.%s" % (where, key), "not with classes (multi-class "
                                       "tasks have no class pairs)")
                if config.memory.vectors < 3:
                    raise _Invalid("memory.vectors", "multi-class tasks (%s.classes) need at "
                                   "least 3 vectors: v1 the label, v2 the prediction, got %d"
                                   % (where, config.memory.vectors))
                if spec.classes != "all" and len(spec.classes) > spec.features:
                    raise _Invalid(where + ".features", "%d classes need at least as many "
                                   "features (the label is a vector), got %d"
                                   % (len(spec.classes), spec.features))
    _check_groups(config)
    if all(value is None for value in dataclasses.astuple(config.budget)):
        raise _Invalid("budget", "set at least one of max_train_steps, max_individuals, "
                       "max_seconds")
    fec = config.fitness.fec
    if fec is not None and fec.train + fec.valid < 2:
        raise _Invalid("fitness.fec", "train + valid must be >= 2 (a prediction after Learn "
                       "must be hashed), got %d + %d" % (fec.train, fec.valid))
    if config.fitness.hurdles is not None:   # each island's evaluator has one group
        for specs in task_groups(config.tasks.search):
            _check_hurdles(config.fitness.hurdles, specs)
    if config.evolution.init not in ("random", "noop"):
        _check_listing(config.evolution.init, config.memory)


def _check_hurdles(hurdles, search):
    """The cheap part of fitness.hurdles is a part of T_search, and smaller."""
    n_tasks = sum(spec.count for spec in search)
    if hurdles.tasks is not None and hurdles.tasks > n_tasks:
        raise _Invalid("fitness.hurdles.tasks", "expected at most the %d search tasks, got %d"
                       % (n_tasks, hurdles.tasks))
    tasks = hurdles.tasks or n_tasks
    most_train = seen = 0   # the most training examples of the first tasks
    for spec in search:
        if seen < tasks:
            most_train, seen = max(most_train, spec.train), seen + spec.count
    if tasks == n_tasks and (hurdles.train is None or hurdles.train >= most_train):
        raise _Invalid("fitness.hurdles", "the cheap part (tasks %s, train %s) must be smaller "
                       "than the search tasks (%d tasks, up to %d training examples)"
                       % (hurdles.tasks, hurdles.train, n_tasks, most_train))


def task_groups(specs) -> tuple:
    """The task specs of each ``group`` (a tuple of specs per group, groups in increasing
    order); island i of a search uses group i mod the number of groups."""
    return tuple(tuple(spec for spec in specs if spec.group == group)
                 for group in sorted({spec.group for spec in specs}))


def _check_groups(config):
    for name in ("select", "final"):
        for i, spec in enumerate(getattr(config.tasks, name)):
            if spec.group != 0:
                raise _Invalid("tasks.%s[%d].group" % (name, i), "only for tasks.search")
    islands = config.islands
    groups = len(task_groups(config.tasks.search))
    if groups > islands.count:
        raise _Invalid("islands.count", "%d task groups in tasks.search need at least %d "
                       "islands, got %d" % (groups, groups, islands.count))
    if islands.count > 1 and islands.migrants >= config.evolution.population:
        raise _Invalid("islands.migrants", "must be smaller than evolution.population (%d), "
                       "got %d" % (config.evolution.population, islands.migrants))


def _check_listing(text, memory):
    try:
        parse_algorithm(text, memory=memory)
    except ValueError as error:  # NotationError: "line N: problem"
        raise _Invalid("evolution.init", "listing " + " ".join(str(error).split())) from None


# -- public API -------------------------------------------------------------------------
def config_from_dict(d: Optional[dict], source: str = "<dict>") -> "Config":
    """A validated Config from a plain dict (as read from YAML); None gives the demo."""
    try:
        config = _section(Config)({} if d is None else d, "")
        _cross_check(config)
    except _Invalid as error:
        raise ConfigError("%s: %s: %s" % (source, error.path, error.message)) from None
    return config


def replace_seed(config, seed, option="--seed"):
    """config with another seed, checked as the config's own (ConfigError naming option)."""
    try:
        return dataclasses.replace(config, seed=_SEED(seed, option))
    except _Invalid as error:
        raise ConfigError("%s: %s" % (error.path, error.message)) from None


def load_config(path) -> "Config":
    """Load and validate a YAML config; ``None`` gives the 5-minute demo."""
    if path is None:
        return Config()
    try:
        with open(path, "rb") as stream:
            raw = stream.read()
        data = yaml.safe_load(raw.decode("utf-8"))
    except OSError as error:
        raise ConfigError("%s: cannot read: %s" % (path, error.strerror or error)) from None
    except UnicodeDecodeError as error:
        raise ConfigError("%s: line %d: not UTF-8 text (byte 0x%02x)" % (
            path, raw.count(b"\n", 0, error.start) + 1, raw[error.start])) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = "line %d: " % (mark.line + 1) if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise ConfigError(" ".join(("%s: %sinvalid YAML: %s" % (path, where, problem)).split())
                          ) from None
    return config_from_dict(data, source=str(path))


def config_to_dict(config) -> dict:
    """A plain dict (YAML-safe, op names) that ``config_from_dict`` turns back into config."""
    if isinstance(config, Component):
        return {"ops": [ops.OPS[c].name for c in config.ops], "size": config.size,
                "min": config.min, "max": config.max}
    if dataclasses.is_dataclass(config):
        return {f.name: config_to_dict(getattr(config, f.name))
                for f in dataclasses.fields(config)}
    if isinstance(config, Memory):
        return dict(config._asdict())
    if isinstance(config, tuple):
        return [config_to_dict(item) for item in config]
    return config


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(str, lambda dumper, s: dumper.represent_scalar(
    "tag:yaml.org,2002:str", s, style="|" if "\n" in s else None))


def dump_config(config: "Config") -> str:
    """YAML text of a config (multi-line listings as block strings), loadable again."""
    return yaml.dump(config_to_dict(config), Dumper=_Dumper, sort_keys=False)
