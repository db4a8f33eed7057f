"""Goal 1/2 robustness: undo the airline data's text substitutions ("Late Flight", "Flightled")."""
import re

import numpy as np
from sklearn.metrics import normalized_mutual_info_score as nmi

import common
import topics

UNDO = [(re.compile(r"Cancelled Flight(?:led|ed)", re.I), "cancelled"), (re.compile(r"Flightled|Flighted", re.I), "ed"),
        (re.compile(r"Late Flight(?:r)?", re.I), "late"), (re.compile(r"Flight Booking Problems", re.I), "booking problems")]


def undo(text):
    """Reverse the substitutions made when the data set was built."""
    for pat, rep in UNDO:
        text = pat.sub(rep, text)
    return text


d = common.negative_tweets()
texts, y = [undo(t) for t in d.text], d.negativereason.to_numpy()
for name, f in (("baseline tfidf+kmeans", topics.baseline), ("PPMI docvec + word LSA", topics.hybrid_kmeans)):
    s = [nmi(y, f(texts, 10, seed)) for seed in (0, 1, 2)]
    print(f"artefacts undone, K=10, {name:24s} NMI={np.mean(s):.3f}±{np.std(s):.3f}", flush=True)
