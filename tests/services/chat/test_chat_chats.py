"""Chats as a user manages them: create, list (most recent first), rename, archive, delete, search,
the chat limit, and paging through a long chat."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from assistant.core.db import session_scope
from assistant.core.errors import Conflict, InvalidInput, NotFound
from assistant.models import Message, User
from assistant.services.admin.settings import DEFAULT_MAX_CHATS, set_setting
from assistant.services.chat import chats
from assistant.services.chat.turn_events import TitleChanged

pytestmark = pytest.mark.anyio


def ids(summaries) -> list:
    return [summary.id for summary in summaries]


def set_max_chats(user: User, value: int | None) -> User:
    with session_scope() as session:
        row = session.get(User, user.id)
        row.max_chats = value
        session.add(row)
    user.max_chats = value
    return user


def message_count(chat_id) -> int:
    with session_scope() as session:
        return session.exec(select(func.count()).select_from(Message).where(Message.chat_id == chat_id)).one()


# --- create, list, rename ------------------------------------------------------------------------------

async def test_new_chats_are_listed_most_recent_first_and_a_turn_moves_a_chat_up(make_user, call, turn):
    user = make_user()
    first = call(chats.create_chat, user=user, title="Blood tests")
    second = call(chats.create_chat, user=user)
    third = call(chats.create_chat, user=user, title="  Holiday plans  ", tier="small")

    assert ids(call(chats.list_chats, user=user)) == [third.id, second.id, first.id]
    assert (third.title, third.tier, third.skill_id, third.archived) == ("Holiday plans", "small", None, False)
    assert (second.title, second.tier) == ("", "medium")

    await turn(user=user, chat_id=first.id, text="Any news?")

    assert ids(call(chats.list_chats, user=user)) == [first.id, third.id, second.id]


def test_create_refuses_an_unknown_tier_and_a_long_title(make_user, call):
    user = make_user()
    with pytest.raises(InvalidInput) as bad_tier:
        call(chats.create_chat, user=user, tier="huge")
    with pytest.raises(InvalidInput) as long_title:
        call(chats.create_chat, user=user, title="x" * 201)

    assert bad_tier.value.code == "chat.bad_tier"
    assert (long_title.value.code, long_title.value.params) == ("chat.title_too_long", {"limit": 200})
    assert call(chats.list_chats, user=user) == []


async def test_an_untitled_chat_is_titled_once_after_its_first_exchange(make_user, call, turn):
    user = make_user()
    chat = call(chats.create_chat, user=user)

    first = await turn(user=user, chat_id=chat.id, text="Vitamin D dosage\nI take 1000 IU a day.")
    second = await turn(user=user, chat_id=chat.id, text="And what about magnesium?")

    assert first[-1] == TitleChanged("Vitamin D dosage")
    assert not any(isinstance(event, TitleChanged) for event in second)
    assert call(chats.get_chat, user=user, chat_id=chat.id).title == "Vitamin D dosage"


async def test_a_renamed_chat_keeps_its_title_through_later_turns(make_user, call, turn):
    user = make_user()
    chat = call(chats.create_chat, user=user)

    renamed = call(chats.rename_chat, user=user, chat_id=chat.id, title="  My own title ")
    events = await turn(user=user, chat_id=chat.id, text="Something else entirely")

    assert renamed.title == "My own title"
    assert not any(isinstance(event, TitleChanged) for event in events)
    stored = call(chats.get_chat, user=user, chat_id=chat.id)
    assert (stored.title, stored.title_is_auto) == ("My own title", False)


def test_rename_refuses_an_empty_or_long_title(make_user, call):
    user = make_user()
    chat = call(chats.create_chat, user=user, title="Kept")

    with pytest.raises(InvalidInput) as empty:
        call(chats.rename_chat, user=user, chat_id=chat.id, title="   ")
    with pytest.raises(InvalidInput) as long_title:
        call(chats.rename_chat, user=user, chat_id=chat.id, title="y" * 201)

    assert empty.value.code == "chat.title_empty" and long_title.value.code == "chat.title_too_long"
    assert call(chats.get_chat, user=user, chat_id=chat.id).title == "Kept"


def test_tier_changes_and_an_unknown_tier_is_refused(make_user, call):
    user = make_user()
    chat = call(chats.create_chat, user=user, title="T")

    assert call(chats.set_tier, user=user, chat_id=chat.id, tier="large").tier == "large"
    with pytest.raises(InvalidInput) as bad:
        call(chats.set_tier, user=user, chat_id=chat.id, tier="gigantic")

    assert bad.value.code == "chat.bad_tier"
    assert call(chats.get_chat, user=user, chat_id=chat.id).tier == "large"


# --- archive, delete ------------------------------------------------------------------------------------

async def test_archived_chats_leave_the_list_but_are_still_found_and_come_back(make_user, call, turn):
    user = make_user()
    kept = call(chats.create_chat, user=user, title="Everyday")
    old = call(chats.create_chat, user=user, title="Old insurance claim")
    await turn(user=user, chat_id=old.id, text="The claim number is QX-7781")

    archived = call(chats.set_archived, user=user, chat_id=old.id, archived=True)

    assert archived.archived
    assert ids(call(chats.list_chats, user=user)) == [kept.id]
    assert ids(call(chats.list_chats, user=user, archived=True)) == [old.id]
    assert ids(call(chats.search_chats, user=user, query="insurance")) == [old.id]
    assert ids(call(chats.search_chats, user=user, query="qx-7781")) == [old.id]
    assert len(call(chats.list_messages, user=user, chat_id=old.id).messages) == 2

    restored = call(chats.set_archived, user=user, chat_id=old.id, archived=False)

    assert not restored.archived
    assert set(ids(call(chats.list_chats, user=user))) == {kept.id, old.id}
    assert call(chats.list_chats, user=user, archived=True) == []


async def test_deleting_a_chat_removes_it_and_its_messages(make_user, call, turn):
    user = make_user()
    other = call(chats.create_chat, user=user, title="Other")
    chat = call(chats.create_chat, user=user, title="To delete")
    await turn(user=user, chat_id=chat.id, text="Remember my locker code 4471")
    await turn(user=user, chat_id=other.id, text="Unrelated")
    assert message_count(chat.id) == 2

    call(chats.delete_chat, user=user, chat_id=chat.id)

    assert message_count(chat.id) == 0
    assert message_count(other.id) == 2
    assert ids(call(chats.list_chats, user=user)) == [other.id]
    assert call(chats.search_chats, user=user, query="4471") == []
    with pytest.raises(NotFound) as gone:
        call(chats.get_chat, user=user, chat_id=chat.id)
    assert gone.value.code == "chat.not_found"
    with pytest.raises(NotFound):
        call(chats.delete_chat, user=user, chat_id=chat.id)


# --- search ---------------------------------------------------------------------------------------------

def test_search_matches_titles_and_messages_case_insensitively(make_user, call, add_messages):
    user = make_user()
    by_title = call(chats.create_chat, user=user, title="Cholesterol RESULTS")
    by_user_message = call(chats.create_chat, user=user, title="March")
    by_answer = call(chats.create_chat, user=user, title="April")
    unrelated = call(chats.create_chat, user=user, title="Gardening")
    tool_only = call(chats.create_chat, user=user, title="Tools")
    add_messages(by_user_message.id, [("user", "My LDL cholesterol was 3.1"), ("assistant", "Noted.")])
    add_messages(by_answer.id, [("user", "What should I eat?"), ("assistant", "Less saturated fat: Cholesterol…")])
    add_messages(unrelated.id, [("user", "Tomatoes"), ("assistant", "Water them daily.")])
    add_messages(tool_only.id, [("user", "time?"),
                                ("assistant", "", {"tool_calls": [{"id": "c1", "name": "get_current_time",
                                                                   "arguments": {}}]}),
                                ("tool", "cholesterol", {"tool_call_id": "c1"})])

    found = call(chats.search_chats, user=user, query="  cHoLeStErOl ")

    assert set(ids(found)) == {by_title.id, by_user_message.id, by_answer.id}
    assert ids(found) == [s.id for s in call(chats.list_chats, user=user) if s.id in set(ids(found))]
    assert call(chats.search_chats, user=user, query="no such words") == []
    assert len(call(chats.search_chats, user=user, query="   ")) == 5  # an empty search lists every chat


def test_percent_and_underscore_in_a_search_are_literal(make_user, call, add_messages):
    user = make_user()
    percent = call(chats.create_chat, user=user, title="Raise of 100% approved")
    plain = call(chats.create_chat, user=user, title="Raise of 1000 approved")
    underscore = call(chats.create_chat, user=user, title="notes")
    lookalike = call(chats.create_chat, user=user, title="more notes")
    backslash = call(chats.create_chat, user=user, title=r"C:\temp folder")
    add_messages(underscore.id, [("user", "rename file_a.txt")])
    add_messages(lookalike.id, [("user", "rename fileXa.txt")])

    assert ids(call(chats.search_chats, user=user, query="0%")) == [percent.id]
    assert ids(call(chats.search_chats, user=user, query="%")) == [percent.id]
    assert ids(call(chats.search_chats, user=user, query="file_a")) == [underscore.id]
    assert ids(call(chats.search_chats, user=user, query="_")) == [underscore.id]
    assert ids(call(chats.search_chats, user=user, query="\\")) == [backslash.id]
    assert plain.id in ids(call(chats.search_chats, user=user, query="1000"))


def test_a_search_too_long_is_refused(make_user, call):
    user = make_user()
    with pytest.raises(InvalidInput) as err:
        call(chats.search_chats, user=user, query="a" * 201)
    assert (err.value.code, err.value.params) == ("chat.search_too_long", {"limit": 200})


# --- the chat limit -------------------------------------------------------------------------------------

def test_the_admin_default_limits_chats_and_nothing_is_deleted_to_make_room(make_user, call, admin):
    user = make_user()
    call(set_setting, actor=admin, key=DEFAULT_MAX_CHATS, value=2)
    first = call(chats.create_chat, user=user, title="one")
    second = call(chats.create_chat, user=user, title="two")
    call(chats.set_archived, user=user, chat_id=second.id, archived=True)  # archived chats count too

    with pytest.raises(Conflict) as err:
        call(chats.create_chat, user=user, title="three")

    assert (err.value.code, err.value.params) == ("chat.limit_reached", {"limit": 2})
    assert ids(call(chats.list_chats, user=user)) == [first.id]
    assert ids(call(chats.list_chats, user=user, archived=True)) == [second.id]

    call(chats.delete_chat, user=user, chat_id=first.id)
    assert call(chats.create_chat, user=user, title="three").title == "three"


def test_a_users_own_max_chats_overrides_the_default_either_way(make_user, call, admin):
    call(set_setting, actor=admin, key=DEFAULT_MAX_CHATS, value=2)
    generous = set_max_chats(make_user(), 3)
    strict = set_max_chats(make_user(), 1)
    default = make_user()

    for number in range(3):
        call(chats.create_chat, user=generous, title=f"g{number}")
    call(chats.create_chat, user=strict, title="s0")
    call(chats.create_chat, user=default, title="d0")

    with pytest.raises(Conflict) as over_generous:
        call(chats.create_chat, user=generous)
    with pytest.raises(Conflict) as over_strict:
        call(chats.create_chat, user=strict)

    assert over_generous.value.params == {"limit": 3} and over_strict.value.params == {"limit": 1}
    assert call(chats.chat_limit, user=default) == 2
    assert call(chats.create_chat, user=default, title="d1").title == "d1"
    assert [len(call(chats.list_chats, user=u)) for u in (generous, strict, default)] == [3, 1, 2]


# --- paging ---------------------------------------------------------------------------------------------

def test_paging_walks_back_from_the_latest_messages_without_gaps(make_user, call, add_messages):
    user = make_user()
    chat = call(chats.create_chat, user=user, title="Long")
    noise = call(chats.create_chat, user=user, title="Noise")
    with session_scope() as session:  # 230 rows at once, interleaved with another chat's
        for number in range(230):
            session.add(Message(chat_id=chat.id, role=("user", "assistant")[number % 2], content=f"message {number}"))
            if number % 40 == 0:
                session.add(Message(chat_id=noise.id, role="user", content=f"noise {number}"))
    with session_scope() as session:
        expected = list(session.exec(select(Message.id).where(Message.chat_id == chat.id).order_by(Message.seq)))
    assert len(expected) == 230

    pages = [call(chats.list_messages, user=user, chat_id=chat.id)]
    while pages[-1].has_older:
        pages.append(call(chats.list_messages, user=user, chat_id=chat.id, before_seq=pages[-1].messages[0].seq))

    assert [len(page.messages) for page in pages] == [50, 50, 50, 50, 30]
    assert [page.has_older for page in pages] == [True, True, True, True, False]
    assert [m.id for m in pages[0].messages] == expected[-50:]  # the latest page first, oldest first in it
    walked = [m.id for page in reversed(pages) for m in page.messages]
    assert walked == expected
    assert all(not m.content.startswith("noise") for page in pages for m in page.messages)


def test_page_size_is_bounded_and_an_exact_fit_has_nothing_older(make_user, call, add_messages):
    user = make_user()
    chat = call(chats.create_chat, user=user, title="Long")
    seqs = add_messages(chat.id, [("user", f"m{number}") for number in range(230)])

    biggest = call(chats.list_messages, user=user, chat_id=chat.id, limit=10_000)
    halves = [call(chats.list_messages, user=user, chat_id=chat.id, limit=115)]
    halves.append(call(chats.list_messages, user=user, chat_id=chat.id, limit=115,
                       before_seq=halves[0].messages[0].seq))
    empty = call(chats.list_messages, user=user, chat_id=chat.id, before_seq=seqs[0])

    assert len(biggest.messages) == 200 and biggest.has_older
    assert [m.seq for m in biggest.messages] == seqs[-200:]
    assert [(len(p.messages), p.has_older) for p in halves] == [(115, True), (115, False)]
    assert [m.seq for p in reversed(halves) for m in p.messages] == seqs
    assert (empty.messages, empty.has_older) == ([], False)
