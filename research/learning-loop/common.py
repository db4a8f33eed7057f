"""Shared loading and text normalisation for the issue-14 research scripts."""
from pathlib import Path
import re

import pandas as pd

DATA = str(Path(__file__).resolve().parents[3] / "shared" / "data")  # ../shared beside the repo
SEEDS = (0, 1, 2, 3, 4)

_URL = re.compile(r"https?://\S+|www\.\S+")
_HANDLE = re.compile(r"@\w+")
_AMP = re.compile(r"&amp;|&lt;|&gt;")
_NUM = re.compile(r"\b\d+(?:[:.]\d+)?\b")
_MASK = re.compile(r"\bX{2,}\b|\{\$[\d.,]+\}|\bxx/xx/\S+", re.I)
_REPEAT = re.compile(r"(.)\1{2,}")


def normalise(text: str) -> str:
    """Lower-case; replace handles, URLs, numbers and CFPB masks with tokens; squash letter runs."""
    t = _AMP.sub(" ", str(text))
    t = _URL.sub(" ", t)
    t = _HANDLE.sub(" ", t)
    t = _MASK.sub(" ", t)
    t = _NUM.sub(" 0 ", t)
    t = _REPEAT.sub(r"\1\1", t.lower())
    t = t.replace("#", " ")
    return re.sub(r"\s+", " ", t).strip()


def negative_tweets() -> pd.DataFrame:
    """Negative airline tweets with a reason."""
    d = pd.read_csv(f"{DATA}/sentiment/airline-sentiment-dev.csv")
    d = d[(d.airline_sentiment == "negative") & d.negativereason.notna()].reset_index(drop=True)
    return d


def cfpb() -> pd.DataFrame:
    """CFPB complaints with a narrative."""
    d = pd.read_csv(f"{DATA}/cfpb/complaints-sample.csv", skiprows=2)
    d = d[d["Consumer complaint narrative"].notna() & d["Issue"].notna()].reset_index(drop=True)
    return d


def intents() -> pd.DataFrame:
    """Bitext utterances with intents."""
    return pd.read_csv(f"{DATA}/intents/bitext-utterances-dev.csv")
