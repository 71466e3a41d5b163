"""What the wrappers' Japanese tests share: the two locales, and one
refusal run in both, which must end the same."""

from __future__ import annotations

import re
from collections.abc import Callable

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
JA = {"LANG": "ja_JP.UTF-8"}
EN = {"LANG": "C.UTF-8"}


def refused_in_both(main: Callable[..., int], program: str, args: list[str], capsys) -> tuple:
    """``main(args)`` in English, then in Japanese: the same status (not 0),
    an English error, then a Japanese one. The Japanese (error, hint)."""
    english = main(args, environ=EN)
    err_en = capsys.readouterr().err.splitlines()
    japanese = main(args, environ=JA)
    err_ja = capsys.readouterr().err.splitlines()
    assert japanese == english != 0
    assert err_en[0].startswith(f"{program}: error: ") and not JAPANESE.search(err_en[0])
    error = err_ja[0].partition(f"{program}: エラー: ")[2]
    hint = err_ja[-1].partition(f"{program}: ヒント: ")[2]
    assert JAPANESE.search(error) and hint, err_ja
    return error, hint
