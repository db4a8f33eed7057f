"""Goal 3: rank the 27 help-centre articles in kb/ for each Bitext utterance.

Nothing here is fitted on utterance labels. The only tuned numbers (fusion weight, expansion
weight) are chosen on a 20 % tuning split of utterances and reported on the other 80 %.
"""
import math
import re
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import normalize

import common

KB = Path(__file__).parent / "kb"
TOKEN = re.compile(r"[a-z0-9]+")
# keep question/intent words that sklearn's list would drop
STOP = frozenset(ENGLISH_STOP_WORDS) - {"not", "no", "cannot", "never", "off", "back", "up"}


def stem(word: str) -> str:
    """Tiny suffix stripper (plural, -ing, -ed, -ly, -ment, -ation)."""
    for suf, rep in (("ations", "ate"), ("ation", "ate"), ("ments", ""), ("ment", ""),
                     ("ings", ""), ("ing", ""), ("ies", "y"), ("ied", "y"), ("ed", ""),
                     ("ly", ""), ("es", ""), ("s", "")):
        if word.endswith(suf) and len(word) - len(suf) >= 3:
            return word[: -len(suf)] + rep
    return word


def tokens(text: str) -> list[str]:
    """Lower-case, split, drop stop words, stem."""
    return [stem(w) for w in TOKEN.findall(text.lower()) if w not in STOP]


def load_articles(folder=KB):
    """Return intent names, full texts and titles of the KB articles."""
    names, texts, titles = [], [], []
    for p in sorted(Path(folder).glob("*.md")):
        body = p.read_text()
        names.append(p.stem)
        texts.append(body)
        titles.append(body.splitlines()[0].lstrip("# "))
    return names, texts, titles


class BM25:
    """Okapi BM25 over article token lists (title repeated to weight it)."""

    def __init__(self, docs, k1=1.2, b=0.75):
        self.tf = [Counter(d) for d in docs]
        self.len = np.array([len(d) for d in docs], float)
        self.avg = self.len.mean()
        df = Counter(w for d in docs for w in set(d))
        n = len(docs)
        self.idf = {w: math.log(1 + (n - c + 0.5) / (c + 0.5)) for w, c in df.items()}
        self.k1, self.b = k1, b

    def scores(self, query: dict[str, float]) -> np.ndarray:
        """BM25 score of each article for a weighted bag of query terms."""
        out = np.zeros(len(self.tf))
        norm = self.k1 * (1 - self.b + self.b * self.len / self.avg)
        for w, qw in query.items():
            idf = self.idf.get(w)
            if idf is None:
                continue
            f = np.array([t.get(w, 0) for t in self.tf], float)
            out += qw * idf * f * (self.k1 + 1) / (f + norm)
        return out


def cooccurrence_neighbours(docs, top=3):
    """Related terms from PPMI of term co-occurrence within article sentences (articles only)."""
    sents = [tokens(s) for d in docs for s in re.split(r"[.\n!?:]+", d) if s.strip()]
    wc, pc = Counter(), Counter()
    for s in sents:
        u = sorted(set(s))
        wc.update(u)
        pc.update((a, b) for i, a in enumerate(u) for b in u[i + 1:])
    n = len(sents)
    rel: dict[str, list[tuple[float, str]]] = {}
    for (a, b), c in pc.items():
        if c < 2:
            continue
        pmi = math.log(c * n / (wc[a] * wc[b]))
        if pmi > 0:
            rel.setdefault(a, []).append((pmi, b))
            rel.setdefault(b, []).append((pmi, a))
    return {w: [x for _, x in sorted(v, reverse=True)[:top]] for w, v in rel.items()}


def topk_hits(scores: np.ndarray, gold: np.ndarray, k: int) -> np.ndarray:
    """Whether the gold article is in the top k of each row."""
    rank = (scores > scores[np.arange(len(gold)), gold][:, None]).sum(1)
    return rank < k


def report(name, scores, gold):
    """One line of top-1, top-3 and MRR."""
    rank = (scores > scores[np.arange(len(gold)), gold][:, None]).sum(1)
    return (f"{name:40s} top1={np.mean(rank < 1):.3f} top3={np.mean(rank < 3):.3f} "
            f"MRR={np.mean(1 / (rank + 1)):.3f}")


def minmax(s):
    """Scale each row to [0, 1]."""
    lo, hi = s.min(1, keepdims=True), s.max(1, keepdims=True)
    return (s - lo) / np.where(hi > lo, hi - lo, 1)


def query_log_idf(log_queries):
    """IDF of stemmed terms in an unlabelled query log: generic request words get low weight."""
    df = Counter(w for q in log_queries for w in set(tokens(q)))
    n = len(log_queries)
    return lambda w: math.log((n + 1) / (df.get(w, 0) + 1))


def phrase_tokens(text: str) -> list[str]:
    """Stemmed unigrams plus adjacent-pair bigrams."""
    t = tokens(text)
    return t + [a + "_" + b for a, b in zip(t, t[1:])]


def char_qidf_scores(docs, queries, log_queries):
    """Cosine of char_wb 3-5 TF-IDF (fit on docs), n-grams reweighted by query-log IDF."""
    ch = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True).fit(docs)
    chq = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5)).fit(log_queries)
    w = np.full(len(ch.vocabulary_), chq.idf_.max())
    for g, j in ch.vocabulary_.items():
        k = chq.vocabulary_.get(g)
        if k is not None:
            w[j] = chq.idf_[k]
    q = normalize(ch.transform(queries).multiply(w).tocsr())
    return (q @ normalize(ch.transform(docs).multiply(w).tocsr()).T).toarray()


def prf_expand(docs, log_queries, rounds=2, frac=1.0):
    """Pseudo-relevance document expansion: append each unlabelled log query to the article it
    matches best (keeping the top `frac` by margin), re-score, repeat. No labels are used."""
    expanded = list(docs)
    for _ in range(rounds):
        s = char_qidf_scores(expanded, log_queries, log_queries)
        top, srt = s.argmax(1), np.sort(s, 1)
        margin = srt[:, -1] - srt[:, -2]
        expanded = list(docs)
        for j in range(len(docs)):
            mine = np.where(top == j)[0]
            if len(mine):
                keep = mine[margin[mine] >= np.quantile(margin[mine], 1 - frac)]
                expanded[j] = docs[j] + " " + " ".join(log_queries[i] for i in keep)
    return expanded


def all_scores(arts, titles, queries, log_queries):
    """Score matrices (queries x articles) for every method."""
    out = {}
    base = TfidfVectorizer().fit(arts)
    out["baseline TF-IDF cosine"] = (base.transform(queries) @ base.transform(arts).T).toarray()
    docs = [tokens(t + " ") * 3 + tokens(a) for t, a in zip(titles, arts)]
    bm = BM25(docs)
    qtok = [Counter(tokens(q)) for q in queries]
    out["BM25 (stem, title x3)"] = np.array([bm.scores(q) for q in qtok])
    neigh = cooccurrence_neighbours(arts)
    for w_exp in (0.2, 0.4):
        exp = []
        for q in qtok:
            e = Counter({w: float(c) for w, c in q.items()})
            for w in q:
                for n in neigh.get(w, []):
                    e[n] += w_exp
            exp.append(e)
        out[f"BM25 + co-occurrence expansion {w_exp}"] = np.array([bm.scores(q) for q in exp])
    qidf = query_log_idf(log_queries)
    scale = qidf("zzzz")
    qw = [Counter({w: c * qidf(w) / scale for w, c in q.items()}) for q in qtok]
    out["BM25 + query-log IDF weights"] = np.array([bm.scores(q) for q in qw])
    pdocs = [phrase_tokens(t + " ") * 3 + phrase_tokens(a) for t, a in zip(titles, arts)]
    pbm = BM25(pdocs)
    pq = [Counter({w: c * qidf(w) / scale for w, c in Counter(phrase_tokens(q)).items()})
          for q in queries]
    out["BM25 bigrams + query-log IDF"] = np.array([pbm.scores(q) for q in pq])
    ch = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)
    titled = [t + ". " + t + ". " + a for t, a in zip(titles, arts)]
    cm = ch.fit_transform(titled)
    out["char 3-5 TF-IDF cosine"] = (normalize(ch.transform(queries)) @ cm.T).toarray()
    for w in (0.3, 0.5, 0.7):
        out[f"fusion BM25*{w} + char*{1 - w:.1f}"] = (
            w * minmax(out["BM25 (stem, title x3)"]) + (1 - w) * minmax(out["char 3-5 TF-IDF cosine"]))
    # char n-grams weighted by query-log IDF of the n-gram (generic phrasing down-weighted)
    chq = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True).fit(log_queries)
    w_q = np.zeros(len(ch.vocabulary_))
    for g, j in ch.vocabulary_.items():
        k = chq.vocabulary_.get(g)
        w_q[j] = chq.idf_[k] if k is not None else chq.idf_.max()
    cq = normalize(ch.transform(queries).multiply(w_q).tocsr())
    out["char 3-5, query-log IDF"] = (cq @ cm.T).toarray()
    # passage retrieval: score every line of an article, keep the best line plus the title
    owner, passages = [], []
    for j, a in enumerate(arts):
        for line in a.splitlines()[1:]:
            if len(line.split()) >= 3:
                owner.append(j)
                passages.append(line)
    owner = np.array(owner)
    pm = normalize(ch.transform(passages).multiply(w_q).tocsr())
    ps = (cq @ pm.T).toarray()
    best_line = np.full((len(queries), len(arts)), -1.0)
    for j in range(len(arts)):
        best_line[:, j] = ps[:, owner == j].max(1)
    tm = normalize(ch.transform(titles).multiply(w_q).tocsr())
    title_sim = (cq @ tm.T).toarray()
    out["char qIDF: best line"] = best_line
    out["char qIDF: title"] = title_sim
    for w in (0.3, 0.5):
        out[f"char qIDF: whole*{1 - w:.1f} + best line*{w}"] = (1 - w) * out["char 3-5, query-log IDF"] + w * best_line
    out["char qIDF: whole + line + title (1/3 each)"] = (
        out["char 3-5, query-log IDF"] + best_line + title_sim) / 3
    full = [t + ". " + t + ". " + a for t, a in zip(titles, arts)]
    for rounds, frac in ((1, 0.6), (2, 1.0)):
        docs = prf_expand(full, log_queries, rounds, frac)
        out[f"char qIDF + PRF doc expansion r={rounds} f={frac}"] = char_qidf_scores(
            docs, queries, log_queries)
    for w in (0.3, 0.5):
        out[f"fusion BM25-qIDF*{w} + char-qIDF*{1 - w:.1f}"] = (
            w * minmax(out["BM25 bigrams + query-log IDF"]) + (1 - w) * minmax(out["char 3-5, query-log IDF"]))
    return out


def main():
    """Score all methods on tuning/held-out utterance splits and on everything."""
    names, arts, titles = load_articles(sys.argv[1] if len(sys.argv) > 1 else KB)
    d = common.intents()
    gold = np.array([names.index(i) for i in d.intent])
    queries = d.utterance.tolist()
    tune, held = train_test_split(np.arange(len(gold)), test_size=0.8, random_state=0, stratify=gold)
    t0 = time.time()
    # the query log is the tuning split's utterance TEXT only (no labels)
    scores = all_scores(arts, titles, queries, [queries[i] for i in tune])
    print(f"{len(queries)} utterances x {len(names)} articles, all methods in {time.time() - t0:.1f}s")
    print("\n-- tuning split (20 %, used only to pick fusion/expansion weights)")
    for n, s in scores.items():
        print(report(n, s[tune], gold[tune]))
    print("\n-- held-out split (80 %)")
    for n, s in scores.items():
        print(report(n, s[held], gold[held]))
    best = max((n for n in scores), key=lambda n: topk_hits(scores[n][tune], gold[tune], 3).mean())
    print(f"\nchosen on tuning split: {best}")
    hits = topk_hits(scores[best][held], gold[held], 3)
    per = {names[g]: hits[gold[held] == g].mean() for g in range(len(names))}
    print("weakest intents (held-out top-3):",
          ", ".join(f"{k}={v:.2f}" for k, v in sorted(per.items(), key=lambda x: x[1])[:6]))
    t0 = time.time()
    full = [t + ". " + t + ". " + a for t, a in zip(titles, arts)]
    docs = prf_expand(full, [queries[i] for i in tune], 2, 1.0)
    t_index = time.time() - t0
    char_qidf_scores(docs, [queries[i] for i in held], [queries[i] for i in tune])
    print(f"chosen PRF method: index build {t_index:.1f}s, score {len(held)} queries "
          f"{time.time() - t0 - t_index:.1f}s")
    for share in (0.2, 0.05):
        split_seeds(names, arts, titles, queries, gold, log_share=share)
    hb = topk_hits(scores["baseline TF-IDF cosine"][held], gold[held], 3)
    print("per-intent mean top3 (macro) best vs baseline: "
          f"{np.mean(list(per.values())):.3f} vs "
          f"{np.mean([hb[gold[held] == g].mean() for g in range(len(names))]):.3f}")


def split_seeds(names, arts, titles, queries, gold, seeds=(1, 2, 3), log_share=0.2):
    """Held-out top-3 of baseline / char qIDF / PRF over other tuning-split seeds and log sizes."""
    base = TfidfVectorizer().fit(arts)
    full = [t + ". " + t + ". " + a for t, a in zip(titles, arts)]
    rows = {"baseline": [], "char qIDF": [], "char qIDF + PRF r=2": []}
    for seed in seeds:
        tune, held = train_test_split(np.arange(len(gold)), train_size=log_share, random_state=seed,
                                      stratify=gold)
        log = [queries[i] for i in tune]
        hq = [queries[i] for i in held]
        rows["baseline"].append(topk_hits((base.transform(hq) @ base.transform(arts).T).toarray(),
                                          gold[held], 3).mean())
        rows["char qIDF"].append(topk_hits(char_qidf_scores(full, hq, log), gold[held], 3).mean())
        docs = prf_expand(full, log, 2, 1.0)
        rows["char qIDF + PRF r=2"].append(topk_hits(char_qidf_scores(docs, hq, log), gold[held], 3).mean())
    print(f"\nheld-out top-3 over split seeds {seeds}, query log = {log_share:.0%} of utterances:")
    for n, v in rows.items():
        print(f"  {n:22s} {np.mean(v):.3f} ± {np.std(v):.3f}")


if __name__ == "__main__":
    main()
