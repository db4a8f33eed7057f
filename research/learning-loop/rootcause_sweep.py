"""Goal 2 exploration: SVM C, char range and label-confidence sample weights (9 and 10 classes)."""
import sys

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import FeatureUnion, make_pipeline
from sklearn.svm import LinearSVC

import common


def model(c, char_range=(2, 5)):
    """Word+char TF-IDF + calibrated linear SVM."""
    feats = FeatureUnion([
        ("w", TfidfVectorizer(preprocessor=common.normalise, ngram_range=(1, 2), min_df=2, sublinear_tf=True)),
        ("c", TfidfVectorizer(preprocessor=common.normalise, analyzer="char_wb", ngram_range=char_range,
                              min_df=2, sublinear_tf=True)),
    ])
    return make_pipeline(feats, CalibratedClassifierCV(LinearSVC(C=c), cv=3, method="sigmoid"))


def main():
    """Print 5-fold accuracy / macro-F1 for each variant."""
    d = common.negative_tweets()
    if sys.argv[1:] == ["9"]:
        d = d[d.negativereason != "Can't Tell"].reset_index(drop=True)
    x, y = d.text.to_numpy(), d.negativereason.to_numpy()
    conf = d.negativereason_confidence.fillna(1.0).to_numpy()
    for name, c, rng, weighted in (("C=0.25", 0.25, (2, 5), False), ("C=0.5", 0.5, (2, 5), False),
                                   ("C=1", 1.0, (2, 5), False), ("C=0.5 char1-4", 0.5, (1, 4), False),
                                   ("C=0.5 weighted by label confidence", 0.5, (2, 5), True)):
        accs, f1s = [], []
        for tr, te in StratifiedKFold(5, shuffle=True, random_state=0).split(x, y):
            m = model(c, rng)
            kw = {"calibratedclassifiercv__sample_weight": conf[tr]} if weighted else {}
            m.fit(x[tr], y[tr], **kw)
            p = m.predict(x[te])
            accs.append(accuracy_score(y[te], p))
            f1s.append(f1_score(y[te], p, average="macro"))
        print(f"{len(set(y))} classes {name:36s} acc={np.mean(accs):.3f}±{np.std(accs):.3f} "
              f"macroF1={np.mean(f1s):.3f}", flush=True)


if __name__ == "__main__":
    main()
