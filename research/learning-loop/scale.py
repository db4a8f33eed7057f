"""Goal 1 scaling (configs: ppmi = the chosen method; sample20k/full = word+char LSA): time and peak memory to group 100,000 synthetic messages into topics.

Each configuration runs in a fresh process (peak RSS from getrusage is per process).
Usage: python scale.py [config]   (no argument: runs every config in subprocesses)
"""
import random
import resource
import subprocess
import sys
import time

import numpy as np
from scipy import sparse
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

import common
import topics
from sklearn.metrics import normalized_mutual_info_score as nmi

N = 100_000
HANDLES = ["@united", "@AmericanAir", "@USAirways", "@SouthwestAir", "@JetBlue", "@VirginAmerica"]


def synthesise(n=N, seed=0):
    """Repeat negative tweets with perturbations: drop a word, swap handle, add a number."""
    rng = random.Random(seed)
    base = common.negative_tweets().text.tolist()
    out = []
    for i in range(n):
        words = base[i % len(base)].split()
        if len(words) > 4:
            del words[rng.randrange(len(words))]
        words[0] = rng.choice(HANDLES) if words[0].startswith("@") else words[0]
        if rng.random() < 0.3:
            words.append(f"flight {rng.randrange(100, 9999)}")
        out.append(" ".join(words))
    return out


def vectorisers():
    """Word 1-2 gram and char_wb 3-5 gram TF-IDF, as in topics.wordchar_lsa_kmeans."""
    w = TfidfVectorizer(preprocessor=common.normalise, stop_words="english", ngram_range=(1, 2),
                        min_df=2, sublinear_tf=True, dtype=np.float32)
    c = TfidfVectorizer(preprocessor=common.normalise, analyzer="char_wb", ngram_range=(3, 5),
                        min_df=3, sublinear_tf=True, dtype=np.float32)
    return w, c


def run_ppmi(hybrid=False):
    """PPMI-SVD word vectors learnt on all 100k messages (plus word LSA if hybrid), k-means x10."""
    texts = synthesise()
    labels_true = np.resize(common.negative_tweets().negativereason.to_numpy(), len(texts))
    t0, c0 = time.time(), time.process_time()
    z = topics.ppmi_doc_vectors(texts, 0).astype(np.float32)
    if hybrid:
        x, _ = topics.word_tfidf(texts)
        z = normalize(np.hstack([z, topics.lsa(x.astype(np.float32), 100, 0).astype(np.float32)]))
    t_vec = time.time() - t0
    labels = KMeans(10, n_init=10, random_state=0).fit_predict(z)
    total, cpu = time.time() - t0, time.process_time() - c0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{'hybrid' if hybrid else 'ppmi':8s} n={len(texts)} docvectors={t_vec:.1f}s total wall={total:.1f}s cpu={cpu:.1f}s "
          f"peakRSS={rss:.0f}MiB NMI(vs repeated labels)={nmi(labels_true, labels):.3f}", flush=True)


def run(config):
    """Fit one configuration on 100k messages and print timings and peak RSS."""
    if config in ("ppmi", "hybrid"):
        run_ppmi(config == "hybrid")
        return
    texts = synthesise()
    t0 = time.time()
    w, c = vectorisers()
    fit_on = texts if config == "full" else random.Random(1).sample(texts, 20_000)
    w.fit(fit_on)
    c.fit(fit_on)
    svd = TruncatedSVD(100, random_state=0).fit(sparse.hstack([w.transform(fit_on), c.transform(fit_on)]).tocsr())
    t_fit = time.time() - t0
    parts = []
    for i in range(0, len(texts), 10_000):
        chunk = texts[i:i + 10_000]
        parts.append(svd.transform(sparse.hstack([w.transform(chunk), c.transform(chunk)]).tocsr()))
    z = normalize(np.vstack(parts).astype(np.float32))
    t_vec = time.time() - t0
    if config == "full":
        labels = KMeans(10, n_init=3, random_state=0).fit_predict(z)
    else:
        labels = MiniBatchKMeans(10, n_init=3, batch_size=4096, random_state=0).fit_predict(z)
    total = time.time() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{config:8s} n={len(texts)} fit={t_fit:.1f}s vectorise+svd={t_vec:.1f}s total={total:.1f}s "
          f"peakRSS={rss:.0f}MiB topics={len(set(labels))}", flush=True)


if __name__ == "__main__":
    if len(sys.argv) > 1:
        run(sys.argv[1])
    else:
        for cfg in ("ppmi", "hybrid"):
            subprocess.run([sys.executable, __file__, cfg], check=False)
