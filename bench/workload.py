"""The traffic mix, played by virtual users over one aiohttp session, and how it went.

80% reads (home, forum, thread and leaderboard pages; half anonymous, half by members
signed in with a session cookie), 15% idea votes and 5% replies through the JSON API with
the Bearer tokens of many members. Virtual users either go as fast as the servers answer
(closed loop: saturation) or share a pace of so many requests a second (soak).
"""

import asyncio
import json
import random
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from itertools import accumulate

import aiohttp
import generate
from seed import PASSWORD, Seed

MIX = {"home": 16, "forum": 20, "thread": 32, "leaderboard": 12, "vote": 15, "post": 5}
KINDS = list(MIX)
CUM_WEIGHTS = list(accumulate(MIX.values()))
SORTS = ["latest"] * 14 + ["top"] * 3 + ["trending"] * 3
PERIODS = ["week"] * 3 + ["month", "all"]
THREADS_PER_PAGE, POSTS_PER_PAGE = 25, 20


def subscriptions(hot: list[tuple[int, str]], clients: int) -> list[tuple[str, str]]:
    """What each listener watches: four in five sit on a lively thread's page (post.created),
    one in five on its forum's page (thread.updated)."""
    subs = []
    for i in range(clients):
        thread_id, forum = hot[i % len(hot)]
        subs.append((f"forum:{forum}", "thread.updated") if i % 5 == 4
                    else (f"thread:{thread_id}", "post.created"))
    return subs


@dataclass(frozen=True)
class Sent:
    """A reply the workload posted and the server published."""

    post_id: int
    thread_id: int
    forum: str
    sent: float      # time.time() when the request went out
    created: float   # the post's created_at (set in the transaction, just before commit)


@dataclass
class Tally:
    """How the requests of one phase went."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter = field(default_factory=Counter)  # (kind, status) -> requests
    posts: list[Sent] = field(default_factory=list)
    seconds: float = 0.0

    def merge(self, other: "Tally") -> None:
        for kind, values in other.latencies.items():
            self.latencies[kind] += values
        self.statuses.update(other.statuses)
        self.posts += other.posts
        self.seconds += other.seconds

    def add(self, kind: str, status, seconds: float) -> None:
        self.statuses[kind, status] += 1
        if status in (200, 201):
            self.latencies[kind].append(seconds)

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    def errors(self) -> Counter:
        """Requests that did not succeed, by status (or exception)."""
        out = Counter()
        for (_, status), n in self.statuses.items():
            if status not in (200, 201):
                out[status] += n
        return out


class Pacer:
    """Spaces requests `1 / rate` seconds apart, whichever virtual user sends them."""

    def __init__(self, rate: float) -> None:
        self.interval = 1 / rate
        self.next = time.monotonic()

    async def wait(self) -> None:
        now = time.monotonic()
        slot = max(self.next, now)  # never a burst to catch up after falling behind
        self.next = slot + self.interval
        await asyncio.sleep(slot - now)


class Workload:
    def __init__(self, urls: list[str], seed: Seed, rng: random.Random) -> None:
        self.urls, self.seed, self.rng = urls, seed, rng
        self.cookies: list[str] = []
        self.vote_of = {key: 1 for key in seed.votes}  # (member id, idea id) -> 0 | 1
        self.voting: set[tuple[int, int]] = set()
        self.pages = dict(seed.threads)
        self.listed = [slug for slug, n in seed.forums.items() if n]
        self.text = generate.Text(rng, pool=2000)
        self.replies = 0
        self.tally = Tally()
        self.session: aiohttp.ClientSession | None = None

    def connect(self) -> None:
        """A new HTTP session (keep-alive connections are made as the users need them)."""
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0),
            cookie_jar=aiohttp.DummyCookieJar(),  # each request says whose cookie it carries
            timeout=aiohttp.ClientTimeout(total=30))

    async def sign_in(self, browsers: int) -> None:
        """Sign `browsers` members in through the login form; their cookies are the readers'."""
        people = self.rng.sample(self.seed.members, browsers)
        gate = asyncio.Semaphore(4)

        async def login(i, member):
            async with gate:
                return await self._login(self.urls[i % len(self.urls)], member)

        self.cookies = list(await asyncio.gather(*(login(i, m) for i, m in enumerate(people))))

    async def _login(self, url: str, member) -> str:
        async with self.session.get(f"{url}/login") as response:
            page = await response.text()
            first = response.cookies["session"].value
        csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        async with self.session.post(f"{url}/login", allow_redirects=False,
                                     headers={"Cookie": f"session={first}"},
                                     data={"login": member.username, "password": PASSWORD,
                                           "csrf_token": csrf}) as response:
            if response.status != 302:
                raise RuntimeError(f"login of {member.username}: {response.status}")
            return f"session={response.cookies['session'].value}"

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()
            self.session = None

    async def run(self, users: int, seconds: float, *, rate: float | None = None,
                  ramp: float = 0.0) -> Tally:
        """`users` virtual users for `ramp` + `seconds`; the tally of the last `seconds`."""
        pacer = Pacer(rate) if rate else None
        self.tally = Tally()  # the ramp's requests land here and are dropped
        loop = asyncio.get_running_loop()
        end = loop.time() + ramp + seconds
        tasks = [asyncio.create_task(self._user(n, end, pacer)) for n in range(users)]
        if ramp:
            await asyncio.sleep(ramp)
        measured = self.tally = Tally()
        started = loop.time()
        await asyncio.gather(*tasks)
        measured.seconds = loop.time() - started
        return measured

    async def _user(self, n: int, end: float, pacer: Pacer | None) -> None:
        loop = asyncio.get_running_loop()
        url = self.urls[n % len(self.urls)]
        while True:
            if pacer:
                await pacer.wait()
            if loop.time() >= end:
                return
            kind = self.rng.choices(KINDS, cum_weights=CUM_WEIGHTS)[0]
            await getattr(self, f"_{kind}")(url)

    # --- the requests ------------------------------------------------------------------

    async def _send(self, kind: str, method: str, url: str, *, headers=None, payload=None):
        """Make one request and tally it; (status, body, the tally it went to)."""
        tally = self.tally  # the phase the request started in
        started = time.perf_counter()
        body = None
        try:
            async with self.session.request(method, url, headers=headers, json=payload,
                                            allow_redirects=False) as response:
                body = await response.read()
                status = response.status
        except asyncio.TimeoutError:
            status = "timeout"
        except aiohttp.ClientError as exc:
            status = type(exc).__name__
        tally.add(kind, status, time.perf_counter() - started)
        return status, body, tally

    def _browser(self) -> dict | None:
        # Half the readers are signed in (their cookie), half anonymous.
        return {"Cookie": self.rng.choice(self.cookies)} if self.rng.random() < 0.5 else None

    def _bearer(self, member) -> dict:
        return {"Authorization": f"Bearer {member.token}"}

    async def _home(self, url: str) -> None:
        await self._send("home", "GET", f"{url}/", headers=self._browser())

    async def _forum(self, url: str) -> None:
        slug = self.rng.choice(self.listed)
        pages = -(-self.seed.forums[slug] // THREADS_PER_PAGE)
        page = 1 if pages == 1 or self.rng.random() < 0.8 else self.rng.randint(2, min(pages, 5))
        await self._send("forum", "GET", f"{url}/f/{slug}?sort={self.rng.choice(SORTS)}&page={page}",
                         headers=self._browser())

    async def _thread(self, url: str) -> None:
        # Mostly anywhere in the archive (search engines, links), sometimes a lively thread.
        thread_id = (self.rng.choice(self.seed.hot)[0] if self.rng.random() < 0.2
                     else self.rng.choice(self.seed.threads)[0])
        last = self.pages[thread_id]
        page = last if last > 1 and self.rng.random() < 0.3 else 1
        await self._send("thread", "GET", f"{url}/t/{thread_id}?page={page}",
                         headers=self._browser())

    async def _leaderboard(self, url: str) -> None:
        await self._send("leaderboard", "GET", f"{url}/leaderboard?period={self.rng.choice(PERIODS)}",
                         headers=self._browser())

    async def _vote(self, url: str) -> None:
        # Toggle: vote if the member has not, take it back if they have.
        while True:
            member = self.rng.choice(self.seed.members)
            idea, author = self.rng.choice(self.seed.ideas)
            key = (member.id, idea)
            if member.id != author and key not in self.voting:
                break
        value = 1 - self.vote_of.get(key, 0)
        self.voting.add(key)
        try:
            status, _, _ = await self._send("vote", "PUT", f"{url}/api/v1/threads/{idea}/vote",
                                            headers=self._bearer(member), payload={"value": value})
        finally:
            self.voting.discard(key)
        if status == 200:
            self.vote_of[key] = value

    async def _post(self, url: str) -> None:
        member = self.rng.choice(self.seed.members)
        thread_id, forum = self.rng.choice(self.seed.hot)
        self.replies += 1
        body = f"Reply {self.replies} from the load test. {self.text.body()[0]}"
        sent = time.time()
        status, data, tally = await self._send(
            "post", "POST", f"{url}/api/v1/threads/{thread_id}/posts",
            headers=self._bearer(member), payload={"body": body})
        if status == 201:
            post = json.loads(data)
            self.pages[thread_id] = max(self.pages[thread_id], -(-post["number"] // POSTS_PER_PAGE))
            tally.posts.append(Sent(post["id"], thread_id, forum, sent,
                                    datetime.fromisoformat(post["created_at"]).timestamp()))
