"""Search over JSON: threads and posts matching words, and threads like a title."""

from flask import jsonify, request
from flask_login import current_user
from pydantic import BaseModel

from .. import serializers
from ..queries import search as q
from ..queries.paging import page_number
from . import bp
from .io import documented


class ThreadRefOut(BaseModel):
    id: int
    title: str
    forum: str
    url: str


class SearchResultOut(BaseModel):
    thread: ThreadRefOut
    post_id: int | None
    snippet_html: str


class SearchOut(BaseModel):
    results: list[SearchResultOut]
    page: int
    pages: int
    total: int


class SimilarOut(BaseModel):
    threads: list[ThreadRefOut]


@bp.get("/search")
@documented("Threads and posts matching every word of q, best first, one result per thread",
            responses={200: SearchOut},
            query={"q": f"The words to find (at most {q.MAX_QUERY} characters)",
                   "page": "Page number, from 1",
                   "per_page": f"Results per page (default 20, at most {q.MAX_PER_PAGE})"})
def search():
    page = page_number(request.args.get("page"))
    per_page = page_number(request.args.get("per_page") or 20, "per_page")
    found = q.search(current_user, request.args.get("q", ""), page, per_page)
    results = [{"thread": serializers.thread_ref(hit.thread), "post_id": hit.post_id,
                "snippet_html": str(hit.snippet_html)} for hit in found.items]
    return jsonify(results=results, page=found.page, pages=found.pages, total=found.total)


@bp.get("/threads/similar")
@documented("Threads whose titles resemble a new thread's title", responses={200: SimilarOut},
            query={"title": "The title being typed"})
def similar_threads():
    threads = q.similar_threads(current_user, request.args.get("title", ""))
    return jsonify(threads=[serializers.thread_ref(t) for t in threads])
