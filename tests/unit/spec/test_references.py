"""``package.module:function`` references, imported next to the spec without touching
``sys.path`` for good, and each folder's module its own."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_evals.errors import EvalInputError
from pytest_evals.spec.references import (
    UnresolvedReference,
    import_object,
    import_target,
    is_async,
)


@pytest.fixture(autouse=True)
def _forget_modules() -> Iterator[None]:
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        del sys.modules[name]


def _folder(root: Path, name: str, source: str, module: str = "tools") -> Path:
    folder = root / name
    folder.mkdir()
    (folder / f"{module}.py").write_text(source, encoding="utf-8")
    return folder


def test_a_module_next_to_the_spec_imports_and_sys_path_is_left_alone(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "evals", "def answer(item):\n    return 'here'\n")
    path_before = list(sys.path)
    answer = import_object("tools:answer", folder=folder)
    assert answer({}) == "here"
    assert sys.path == path_before


def test_two_folders_with_a_module_of_the_same_name_each_get_their_own(tmp_path: Path) -> None:
    first = _folder(tmp_path, "en", "def answer(item):\n    return 'hello'\n")
    second = _folder(tmp_path, "fr", "def answer(item):\n    return 'bonjour'\n")
    assert import_object("tools:answer", folder=first)({}) == "hello"
    assert import_object("tools:answer", folder=second)({}) == "bonjour"
    # The first folder's module is still the one imported by name.
    assert import_object("tools:answer", folder=first)({}) == "hello"
    assert Path(sys.modules["tools"].__file__ or "").parent == first


def test_a_package_next_to_the_spec_and_its_own_imports(tmp_path: Path) -> None:
    package = tmp_path / "evals" / "helpers"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "words.py").write_text(
        "from .shout import loud\n\ndef answer(item):\n    return loud('x')\n"
    )
    (package / "shout.py").write_text("def loud(text):\n    return text.upper()\n")
    assert import_object("helpers.words:answer", folder=tmp_path / "evals")({}) == "X"


def test_installed_modules_import_as_usual(tmp_path: Path) -> None:
    assert import_object("json:dumps", folder=tmp_path)([1]) == "[1]"


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("no_colon", "expected 'package.module:function'"),
        ("a:b:c", "expected 'package.module:function'"),
        (":fn", "expected 'package.module:function'"),
        (42, "expected 'package.module:function'"),
        ("no_such_module_here:fn", "cannot import module 'no_such_module_here'"),
        ("json:lodas", "has no attribute 'lodas'; did you mean 'loads'?"),
        ("json:__doc__", "is not callable"),
    ],
)
def test_unresolvable_references_say_why(reference: object, message: str) -> None:
    with pytest.raises(UnresolvedReference, match=message.replace("?", r"\?")):
        import_object(reference)


def test_a_target_that_does_not_import_is_an_input_error_at_the_target_key(
    tmp_path: Path,
) -> None:
    with pytest.raises(EvalInputError) as caught:
        import_target("nowhere:fn", spec_dir=tmp_path)
    assert caught.value.key == "target"


def test_async_callables_are_told_apart() -> None:
    async def coroutine_function(item: object) -> str:
        return ""

    class AsyncCallable:
        async def __call__(self, item: object) -> str:
            return ""

    assert is_async(coroutine_function)
    assert is_async(AsyncCallable())
    assert not is_async(lambda item: item)


def test_a_module_not_found_names_pytests_pythonpath_option(tmp_path: Path) -> None:
    with pytest.raises(UnresolvedReference, match="pythonpath"):
        import_object("app_not_on_the_path:answer", folder=tmp_path)
