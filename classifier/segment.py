"""Chinese word segmentation with jieba, taught the catalogue's trade terms.

jieba's general dictionary splits 光伏组件 into 光伏 / 组件 and 储能系统 into 储能 / 系统; the
catalogue's names, green keywords and lexicon terms are added as user words so that trade terms stay
whole. Each :class:`Segmenter` owns a private ``jieba.Tokenizer`` (the global one is shared state),
built once per process by :func:`get_segmenter`.

>>> seg = Segmenter(["光伏组件", "储能系统"])
>>> seg.cut("单晶硅光伏组件 储能系统")
['单晶硅', '光伏组件', '储能系统']
"""

from __future__ import annotations

import logging
import re
import tempfile
import warnings
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

with warnings.catch_warnings():
    # jieba 0.42 imports the deprecated pkg_resources when setuptools is installed.
    warnings.simplefilter("ignore")
    import jieba

logging.getLogger("jieba").setLevel(logging.WARNING)

_WORD = re.compile(r"[\u3400-\u9fffa-z]")
# High enough that a user word beats the general dictionary's split of it.
_USER_FREQ = 200_000


class Segmenter:
    """Cut normalised text into words; trade terms given at construction stay whole."""

    def __init__(self, user_words: Iterable[str] = (), *, cache_dir: Path | None = None) -> None:
        self._tokenizer = jieba.Tokenizer()
        self._tokenizer.tmp_dir = str(cache_dir or tempfile.gettempdir())
        self._tokenizer.initialize()
        for word in {w.strip().lower() for w in user_words}:
            if len(word) >= 2 and " " not in word:
                self._tokenizer.add_word(word, freq=_USER_FREQ)

    def cut(self, text: str) -> list[str]:
        """Words of ``text`` (spaces and punctuation dropped), in order."""
        return [w for w in self._tokenizer.lcut(text, HMM=True) if _WORD.search(w)]


@lru_cache(maxsize=2)
def get_segmenter(user_words: tuple[str, ...] = (), cache_dir: Path | None = None) -> Segmenter:
    """The process-wide segmenter for a set of user words: jieba's dictionary loads once."""
    return Segmenter(user_words, cache_dir=cache_dir)
