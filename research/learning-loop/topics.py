"""Goal 1: topic grouping of negative airline tweets (and CFPB narratives); NMI vs labels."""
import sys
import time

import numpy as np
from scipy import sparse
from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.decomposition import NMF, TruncatedSVD
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.metrics import normalized_mutual_info_score as nmi
from sklearn.preprocessing import normalize

import common

STOP = "english"


def baseline(texts, k, seed):
    """TF-IDF (defaults) + k-means (defaults)."""
    x = TfidfVectorizer().fit_transform(texts)
    return KMeans(k, random_state=seed).fit_predict(x)


def word_tfidf(texts, min_df=2):
    """Normalised word uni+bigram TF-IDF."""
    v = TfidfVectorizer(preprocessor=common.normalise, stop_words=STOP, ngram_range=(1, 2),
                        min_df=min_df, sublinear_tf=True)
    return v.fit_transform(texts), v


def norm_kmeans(texts, k, seed):
    """Normalised text, k-means with 10 restarts."""
    x, _ = word_tfidf(texts)
    return KMeans(k, n_init=10, random_state=seed).fit_predict(x)


def lsa(x, dims, seed):
    """Truncated SVD then unit-length rows (spherical)."""
    z = TruncatedSVD(dims, random_state=seed).fit_transform(x)
    return normalize(z)


def lsa_kmeans(texts, k, seed, dims=100):
    """Normalised word TF-IDF -> LSA -> spherical k-means with 10 restarts."""
    x, _ = word_tfidf(texts)
    return KMeans(k, n_init=10, random_state=seed).fit_predict(lsa(x, dims, seed))


def wordchar_lsa_kmeans(texts, k, seed, dims=100):
    """Word + char n-gram TF-IDF -> LSA -> spherical k-means."""
    x, _ = word_tfidf(texts)
    c = TfidfVectorizer(preprocessor=common.normalise, analyzer="char_wb", ngram_range=(3, 5),
                        min_df=3, sublinear_tf=True).fit_transform(texts)
    both = sparse.hstack([x, c]).tocsr()
    return KMeans(k, n_init=10, random_state=seed).fit_predict(lsa(both, dims, seed))


def nmf_topics(texts, k, seed):
    """NMF on normalised TF-IDF, topic = argmax weight."""
    x, _ = word_tfidf(texts)
    w = NMF(k, init="nndsvda", random_state=seed, max_iter=400).fit_transform(x)
    return w.argmax(1)


def ppmi_doc_vectors(texts, seed, dims=100, window_docs=True):
    """Doc vectors = IDF-weighted mean of PPMI+SVD word vectors learnt from the texts themselves."""
    cv = CountVectorizer(preprocessor=common.normalise, stop_words=STOP, min_df=3)
    b = cv.fit_transform(texts)
    b.data[:] = 1
    co = (b.T @ b).astype(float).tocsr()
    co.setdiag(0)
    co.eliminate_zeros()
    total = co.sum()
    row = np.asarray(co.sum(1)).ravel()
    col = row ** 0.75
    col = col / col.sum()
    coo = co.tocoo()
    pmi = np.log((coo.data / total) / ((row[coo.row] / total) * col[coo.col]))
    keep = pmi > 0
    ppmi = sparse.csr_matrix((pmi[keep], (coo.row[keep], coo.col[keep])), shape=co.shape)
    u, s, _ = sparse.linalg.svds(ppmi, k=dims, random_state=seed)
    words = normalize(u * np.sqrt(s))
    df = np.asarray(b.sum(0)).ravel()
    idf = np.log(b.shape[0] / df) + 1
    docs = b.multiply(idf).tocsr() @ words
    return normalize(docs)


def ppmi_kmeans(texts, k, seed):
    """PPMI+SVD doc vectors -> k-means."""
    return KMeans(k, n_init=10, random_state=seed).fit_predict(ppmi_doc_vectors(texts, seed))


def hybrid_kmeans(texts, k, seed):
    """Concatenate PPMI-SVD doc vectors and word LSA (each unit length) -> k-means."""
    x, _ = word_tfidf(texts)
    z = np.hstack([ppmi_doc_vectors(texts, seed), lsa(x, 100, seed)])
    return KMeans(k, n_init=10, random_state=seed).fit_predict(normalize(z))


def ppmi_agglo(texts, k, seed):
    """PPMI+SVD doc vectors -> Ward agglomerative."""
    return AgglomerativeClustering(k).fit_predict(ppmi_doc_vectors(texts, seed))


def lsa_agglo(texts, k, seed):
    """LSA -> Ward agglomerative."""
    x, _ = word_tfidf(texts)
    return AgglomerativeClustering(k).fit_predict(lsa(x, 100, seed))


METHODS = {
    "baseline tfidf+kmeans": baseline,
    "norm tfidf+kmeans(10 restarts)": norm_kmeans,
    "norm LSA100+spherical kmeans": lsa_kmeans,
    "word+char LSA100+sph kmeans": wordchar_lsa_kmeans,
    "NMF argmax": nmf_topics,
    "PPMI-SVD docvec+kmeans": ppmi_kmeans,
    "PPMI-SVD docvec+ward": ppmi_agglo,
    "PPMI docvec + word LSA, kmeans": hybrid_kmeans,
    "LSA100+ward": lsa_agglo,
}


def topic_names(texts, labels, n=6):
    """Distinctive words per topic: mean TF-IDF in topic minus mean elsewhere."""
    x, v = word_tfidf(texts, min_df=3)
    vocab = np.array(v.get_feature_names_out())
    names = {}
    for t in np.unique(labels):
        inside = np.asarray(x[labels == t].mean(0)).ravel()
        outside = np.asarray(x[labels != t].mean(0)).ravel()
        names[t] = (int((labels == t).sum()), ", ".join(vocab[np.argsort(outside - inside)[:n]]))
    return names


def run(name, texts, y, ks, methods):
    """Print NMI mean/std over seeds for every method and K."""
    print(f"\n== {name}: n={len(texts)} labels={len(set(y))}")
    best = {}
    for k in ks:
        for m in methods:
            t0 = time.time()
            scores = [nmi(y, METHODS[m](texts, k, s)) for s in common.SEEDS]
            print(f"K={k:3d} {m:34s} NMI={np.mean(scores):.3f}±{np.std(scores):.3f} "
                  f"({(time.time() - t0) / len(scores):.1f}s/run)", flush=True)
            best[(k, m)] = np.mean(scores)
    return best


def main():
    """Run the tweet and CFPB comparisons and print topic names for the chosen method."""
    which = sys.argv[1] if len(sys.argv) > 1 else "all"
    d = common.negative_tweets()
    texts, y = d.text.tolist(), d.negativereason.to_numpy()
    if which in ("all", "tweets"):
        run("negative airline tweets vs negativereason", texts, y, (10, 20), list(METHODS))
    if which == "hybrid":
        c = common.cfpb()
        run("tweets", texts, y, (10, 20), ["baseline tfidf+kmeans", "PPMI docvec + word LSA, kmeans"])
        run("CFPB", c["Consumer complaint narrative"].tolist(), c.Issue.to_numpy(), (20,),
            ["baseline tfidf+kmeans", "PPMI docvec + word LSA, kmeans"])
    if which in ("all", "tweets", "names"):
        lab = hybrid_kmeans(texts, 10, 0)
        print(f"\nTopic names (PPMI docvec + word LSA, kmeans, K=10, seed 0, NMI={nmi(y, lab):.3f}):")
        for t, (n, words) in topic_names(texts, lab).items():
            top = d.negativereason[lab == t].value_counts().head(2)
            print(f"  topic {t} n={n}: {words}   [majority: {dict(top)}]")
    c = common.cfpb()
    ct, cy = c["Consumer complaint narrative"].tolist(), c.Issue.to_numpy()
    if which in ("all", "cfpb"):
        run("CFPB narratives vs Issue", ct, cy, (20, len(set(cy))),
            ["baseline tfidf+kmeans", "norm tfidf+kmeans(10 restarts)", "norm LSA100+spherical kmeans",
             "word+char LSA100+sph kmeans", "NMF argmax", "PPMI-SVD docvec+kmeans"])
    if which in ("all", "cfpb", "names"):
        lab = hybrid_kmeans(ct, 20, 0)
        print(f"\nCFPB topic names (PPMI docvec + word LSA, kmeans, K=20, seed 0, NMI={nmi(cy, lab):.3f}):")
        for t, (n, words) in topic_names(ct, lab).items():
            top = c.Issue[lab == t].value_counts().head(1)
            print(f"  topic {t} n={n}: {words}   [majority: {dict(top)}]")


if __name__ == "__main__":
    main()
