"""The dialogue engine: one user message in, the bot's replies out, state persisted."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from actions.assets import holdings, replacement_offer, slow_computer
from actions.protocol import Action, Similarity
from actions.tickets import answer_resolution
from bot.dialogue.approvals import ApprovalChat
from bot.dialogue.form_runner import FAILURES_BEFORE_AGENT, FormRunner
from bot.dialogue.frustration import frustrated
from bot.dialogue.notices import NoticeLookup, notices_first
from bot.dialogue.payloads import parse_payload
from bot.dialogue.stale import redo, stale
from bot.dialogue.survey import SurveyAnswers, survey_turn
from bot.dialogue.topics import topic_of, topic_reply
from bot.kernel.domain import Button, Conversation, Link, Reply, Turn, bot_turns, payload
from bot.kernel.formats import is_zone
from bot.kernel.i18n import t
from bot.kernel.language import Language
from bot.kernel.messages import SMALL_TALK as SMALL_TALK_ANSWERS
from bot.kernel.registry import Registry
from bot.observability import log_context
from bot.observability.observer import NO_OBSERVER, Observer
from bot.observability.spans import span
from bot.scale.locks import ConversationLocks, LocalLocks
from bot.storage.conversations import ConversationStore
from bot.tickets.approvals import APPROVE, REJECT, ApprovalService
from bot.tickets.service import TicketService
from knowledge_index.documents import ANONYMOUS, EntryType, Reader
from knowledge_index.feedback import record_answer_vote
from knowledge_index.index import Hit, SearchQuery
from knowledge_index.service import AnsweringKnowledgeBase
from nlu.entities import fold
from nlu.language import LanguageDetector
from nlu.protocol import FALLBACK_INTENT, IntentParser, ParseResult

IDENTITY = {"password_reset", "account_locked"}
SMALL_TALK = frozenset(SMALL_TALK_ANSWERS)
PROBLEMS = {
    "password_reset",
    "account_locked",
    "mfa_problem",
    "vpn_problem",
    "wifi_problem",
    "email_problem",
    "printer_problem",
    "hardware_problem",
    "software_problem",
    "access_request",
}
ORDERS = {"order_equipment", "software_request"}
CLEAR_CANCEL = 0.9  # with nothing in progress, a cancel the model is sure of
CANCEL_WORDS = {"cancel", "annuler", "annule", "stop", "abort", "laisse tomber", "forget it"}
ARTICLE_TYPES: tuple[EntryType, ...] = ("procedure", "faq", "known_error")
TICKET_SECOND_INTENT = 0.2
TICKET_REQUEST = re.compile(
    r"\b(open|create|log|raise|file|submit|ouvrir|creer|faire|declarer|signaler)\b"
    r"[\w' ]{0,20}\b(ticket|incident)\b"
)
SHORT_MESSAGE_WORDS = 3
HIDDEN = "••••••"  # what the transcript keeps of a one-time code
OUTAGE_IMPACT = "organisation"
# Told of every exchange saved (the console's live updates); the services set it.
TurnsSaved = Callable[[Conversation, list[Turn]], Awaitable[None]]
# The reader a chat's user is (by their user id, an e-mail on most channels).
ReaderOf = Callable[[str], Awaitable[Reader]]


async def _anyone(_user_id: str) -> Reader:
    return ANONYMOUS


# Words of a bare "open a ticket" request; what else a message says describes the problem.
TICKET_REQUEST_WORDS = frozenset(
    "i i'd id want would like to need please can you could open create log raise make file "
    "submit a an new the ticket tickets incident request support it help desk helpdesk for me "
    "je j veux voudrais voudrai aimerais souhaite ouvrir creer créer faire declarer déclarer "
    "signaler un une le la nouveau nouvel nouvelle ticket incident demande svp stp merci s'il "
    "vous plait plaît pour moi bonjour hello hi".split()
)


_REQUEST_PREFIX = re.compile(r"^[^:]{0,60}\b(ticket|incident)\b\s*[:,.-]\s*", re.IGNORECASE)


def without_request(text: str) -> str:
    """'Please open a ticket: the printer is jammed' → 'the printer is jammed'."""
    rest = _REQUEST_PREFIX.sub("", text, count=1).strip()
    return rest[:1].upper() + rest[1:] if len(rest.split()) >= 3 else text


def describes_a_problem(text: str) -> bool:
    words = [w.strip(",.;:!?'\"") for w in fold(text).replace("'", "' ").split()]
    return (
        not text.startswith("/")
        and sum(1 for w in words if w and w not in TICKET_REQUEST_WORDS) >= 3
    )


def _written_yet(conversation: Conversation) -> bool:
    """Whether the user typed anything yet (buttons' payloads and one-time codes aside)."""
    return any(
        turn.role == "user" and not turn.text.startswith("/") and turn.text != HIDDEN
        for turn in conversation.transcript
    )


@dataclass(frozen=True)
class Handled:
    """What one message gave: the replies, and the conversation's language after it."""

    replies: list[Reply]
    language: Language


@dataclass(frozen=True)
class Thresholds:
    """Whether the best article answers is the knowledge base's verdict (`answer`), the same
    calibrated judge as search and the omnibox; `suggest` is the score from which a near miss
    is offered as a button."""

    suggest: float = 0.3
    language_switch: float = 0.8


class DialogueEngine:
    def __init__(
        self,
        *,
        parser: IntentParser,
        knowledge: AnsweringKnowledgeBase,
        actions: Registry[Action],
        conversations: ConversationStore,
        tickets: TicketService,
        languages: LanguageDetector,
        similarity: Similarity,
        action_extras: dict[str, Any] | None = None,
        default_language: Language = "en",
        thresholds: Thresholds = Thresholds(),
        notices: NoticeLookup | None = None,
        locks: ConversationLocks | None = None,
        readers: ReaderOf | None = None,
        approvals: ApprovalService | None = None,
        surveys: SurveyAnswers | None = None,
    ) -> None:
        self.parser = parser
        # Who the user is for restricted entries (their directory groups); default: anyone.
        self.readers: ReaderOf = readers or _anyone
        self.knowledge = knowledge
        self.actions = actions
        self.conversations = conversations
        self.tickets = tickets
        self.languages = languages
        self.default_language = default_language
        self.thresholds = thresholds
        self.notices = notices
        self.surveys = surveys
        self.forms = FormRunner(
            actions=actions,
            knowledge=knowledge,
            tickets=tickets,
            similarity=similarity,
            extras=action_extras,
        )
        # In-process by default; Redis or PostgreSQL locks when several processes serve.
        self.locks: ConversationLocks = locks or LocalLocks()
        self.approvals = ApprovalChat(approvals) if approvals is not None else None
        self.on_saved: TurnsSaved | None = None
        self.observer: Observer = NO_OBSERVER  # metrics: messages, answers, "not sure"

    async def start(
        self, *, channel: str, user_id: str, language: Language | None = None
    ) -> Conversation:
        return await self.conversations.create(
            channel=channel,
            user_id=user_id,
            language=language or self.default_language,
            language_locked=language is not None,
        )

    async def handle(
        self,
        conversation_id: str,
        text: str,
        language: Language | None = None,
        *,
        hint: Language | None = None,
        timezone: str | None = None,
        proven: bool = False,
    ) -> list[Reply]:
        """Process one message; messages of one conversation are handled one at a time.

        `language` fixes the reply language. `hint` is the user's language as their channel
        knows it (a Slack or Teams locale): the conversation speaks it until the user writes
        text, whose detected language then counts as usual. `timezone` is the user's IANA zone
        as the channel knows it (the browser's, Slack's, Teams'): times are shown in it.
        `proven`: the channel's own connector proved that the conversation's user sent this
        message (Slack's request signature, Teams' JWT, the portal's token); only then may it
        decide an approval. The generic API and the CLI never say so.
        """
        handled = await self.turn(
            conversation_id, text, language, hint=hint, timezone=timezone, proven=proven
        )
        return handled.replies

    async def turn(
        self,
        conversation_id: str,
        text: str,
        language: Language | None = None,
        *,
        hint: Language | None = None,
        timezone: str | None = None,
        check_owner: Callable[[str], None] | None = None,
        proven: bool = False,
    ) -> Handled:
        """`handle`, also giving the conversation's language after the message; `check_owner`
        is called with the conversation's user before anything happens (it raises to refuse):
        the caller's checks ride on the one read of the conversation."""
        with span("dialogue.turn"), log_context.conversation(conversation_id):
            return await self._turn(
                conversation_id, text, language, hint, timezone, check_owner, proven
            )

    async def _turn(
        self,
        conversation_id: str,
        text: str,
        language: Language | None,
        hint: Language | None,
        timezone: str | None,
        check_owner: Callable[[str], None] | None,
        proven: bool,
    ) -> Handled:
        async with self.locks.hold(conversation_id):
            conversation = await self.conversations.get(conversation_id)
            if check_owner is not None:
                check_owner(conversation.user_id)
            self.observer.message(conversation.channel)
            if timezone is not None and is_zone(timezone):
                conversation.state.timezone = timezone
            if conversation.state.agent is not None:
                return Handled(await self._to_agent(conversation, text), conversation.language)
            secret = self.forms.expects_secret(conversation)
            if (
                hint is not None
                and not conversation.language_locked
                and not _written_yet(conversation)
            ):
                # A button's payload says nothing of the language: until the user writes,
                # what the channel knows of them (their locale) is the best guess.
                conversation.language = hint
            with span("nlu.parse"):
                parse = parse_payload(text) or await self.parser.parse(
                    text, language=conversation.language
                )
            if not secret:
                self._set_language(conversation, parse, language)
            user_turn = Turn(
                role="user",
                text=HIDDEN if secret else self.conversations.redact(text),
                language=conversation.language,
                intent=parse.intent,
                confidence=round(parse.confidence, 4),
            )
            conversation.transcript.append(user_turn)
            replies = await self._respond(conversation, parse, proven=proven)
            said = bot_turns(replies, conversation.language)
            conversation.transcript.extend(said)
            await self.conversations.save(conversation, [user_turn, *said])
            if self.on_saved is not None:
                await self.on_saved(conversation, [user_turn, *said])
            return Handled(replies, conversation.language)

    async def _to_agent(self, conversation: Conversation, text: str) -> list[Reply]:
        """An agent took the conversation over: the message is theirs to answer, not the bot's."""
        text = self.conversations.redact(text)
        turn = Turn(role="user", text=text, language=conversation.language)
        conversation.transcript.append(turn)
        await self.conversations.save(conversation, [turn])
        if self.on_saved is not None:
            await self.on_saved(conversation, [turn])
        return []

    def _set_language(
        self, conversation: Conversation, parse: ParseResult, override: Language | None
    ) -> None:
        """The reply language: the user's written language when it is clear, else their choice.

        `override` is the language the user's interface is set to (the widget's EN/FR). It is
        a choice when it changes; a message written clearly in the other language (three
        words or more, or a greeting or thanks, detected with confidence) is answered in that
        language, and the conversation goes on in it, on every channel.
        """
        state = conversation.state
        if override is not None and override != state.interface_language:
            conversation.language, conversation.language_locked = override, True
            state.interface_language = override
        text = parse.text
        if text.startswith("/"):
            return
        # Before a language was chosen, the first message typed tells it; after, "ok" or
        # "Outlook" in the middle of a French conversation says nothing of the language, but
        # "bonjour" or "thanks" does (and only then is the detector asked).
        first_message = not conversation.language_locked and not _written_yet(conversation)
        telling = (
            first_message
            or len(text.split()) >= SHORT_MESSAGE_WORDS
            or parse.intent in {"greet", "goodbye", "thank"}
        )
        if not telling:
            return
        detection = self.languages.detect(text)
        if detection.confidence >= self.thresholds.language_switch:
            conversation.language = detection.language

    # -- routing ---------------------------------------------------------------------------

    async def _respond(
        self, conversation: Conversation, parse: ParseResult, *, proven: bool
    ) -> list[Reply]:
        state = conversation.state
        approval = await self._approval(conversation, parse, proven=proven)
        if approval is not None:
            return approval
        if (survey := await survey_turn(self.surveys, conversation, parse)) is not None:
            return survey
        if not parse.text.startswith("/") and frustrated(parse.text):
            handoff = await self.forms.run(
                conversation, "handoff", prefill={"reason": "frustration"}
            )
            return [
                Reply(
                    text=t(
                        "I'm sorry this is taking so long. Let me get you a human.",
                        conversation.language,
                    )
                ),
                *handoff,
            ]
        aside = await self.forms.aside(conversation, parse)
        if aside is not None:  # "I did not get the code": the form answers and stays
            return aside
        if self._is_cancel(parse, in_progress=state.active_action is not None):
            if state.active_action is None:
                return [
                    Reply(text=t("There is nothing in progress to cancel.", conversation.language))
                ]
            self.forms.reset(state)
            state.last_problem = None
            return [
                Reply(
                    text=t(
                        "OK, I've cancelled that. What else can I do for you?",
                        conversation.language,
                    )
                )
            ]
        if stale(state, parse, self.forms.slot_names(conversation)):
            return await self._stale_button(conversation, parse)
        if parse.intent == "human_handoff":
            return await self.forms.run(conversation, "handoff")
        if parse.intent in {"confirm_resolution", "reopen"} and parse.entity("ticket"):
            return await self._resolution(
                conversation,
                parse.entity("ticket") or "",
                works=parse.intent == "confirm_resolution",
            )
        if (
            state.awaiting_resolution
            and state.active_action is None
            and parse.intent in {"affirm", "deny"}
        ):
            return await self._resolution(
                conversation, state.awaiting_resolution, works=parse.intent == "affirm"
            )
        if state.active_action is not None:
            replies = await self.forms.proceed(conversation, parse)
            if replies is not None:
                return replies
        if state.awaiting_feedback and parse.intent in {"affirm", "deny"}:
            return await self._feedback(conversation, parse.intent == "affirm")
        state.awaiting_feedback = False
        replies = await self._route(conversation, parse)
        return await notices_first(self.notices, conversation, parse, replies)

    async def _approval(
        self, conversation: Conversation, parse: ParseResult, *, proven: bool
    ) -> list[Reply] | None:
        """An approver's Approve / Reject button, or the reason they give for rejecting;
        decided only when the channel proved who sent it (`proven`)."""
        state = conversation.state
        if self.approvals is None:
            return None
        reference = parse.entity("ticket")
        if parse.intent in {APPROVE, REJECT} and reference:
            return await self.approvals.button(
                conversation, parse.intent, reference, parse.entity("reason"), proven=proven
            )
        if parse.intent == "keep_waiting" and reference:
            return [self.approvals.kept(conversation, reference)]
        if state.awaiting_rejection and not parse.text.startswith("/"):
            return await self.approvals.reason(conversation, parse.text, proven=proven)
        state.awaiting_rejection = None  # another button: the rejection is dropped
        return None

    async def _stale_button(self, conversation: Conversation, parse: ParseResult) -> list[Reply]:
        """An earlier step's button: do that choice again if it stands alone, else say where
        the conversation is."""
        state, language = conversation.state, conversation.language
        action = redo(state, parse)
        if action is not None and await self._still_offered(parse):
            return await self.forms.start(conversation, action, parse)
        intro = Reply(text=t("That choice belongs to an earlier step that is over.", language))
        if state.active_action is not None:
            return [intro, *await self.forms.where_we_are(conversation)]
        return [
            intro,
            Reply(
                text=t("Nothing is in progress now. What can I do for you?", language),
                buttons=self._menu(language),
            ),
        ]

    async def _still_offered(self, parse: ParseResult) -> bool:
        item = parse.entity("catalog_item")
        return item is not None and self.knowledge.catalog_item(item) is not None

    @staticmethod
    def _also_asks_for_a_ticket(parse: ParseResult) -> bool:
        """A problem described together with an explicit request for a ticket."""
        return bool(TICKET_REQUEST.search(fold(parse.text))) or any(
            score.name == "open_incident" and score.confidence >= TICKET_SECOND_INTENT
            for score in parse.ranking[:2]
        )

    @staticmethod
    def _is_cancel(parse: ParseResult, *, in_progress: bool) -> bool:
        """A cancel word, or the cancel intent while something is in progress.

        With nothing in progress, only a clear cancel is answered "nothing to cancel": a
        message the model merely leans towards cancel for ("rien ne marche") is a problem
        to look up.
        """
        if fold(parse.text).strip(" !.") in CANCEL_WORDS:
            return True
        if parse.intent != "cancel":
            return False
        return in_progress or parse.confidence >= CLEAR_CANCEL

    async def _route(self, conversation: Conversation, parse: ParseResult) -> list[Reply]:
        state, language, intent = conversation.state, conversation.language, parse.intent
        if intent in SMALL_TALK:
            state.consecutive_failures = 0
            return [
                Reply(
                    text=t(SMALL_TALK_ANSWERS[intent], language),
                    buttons=self._menu(language) if intent in {"greet", "help"} else [],
                )
            ]
        if intent == "out_of_scope":
            return [
                Reply(
                    text=t(
                        "Sorry, I can only help with IT matters (accounts, computers, "
                        "software, network, equipment). For anything else, please contact the "
                        "relevant department.",
                        language,
                    ),
                    buttons=self._menu(language),
                )
            ]
        if intent == "article":
            return await self._show_article(conversation, parse.entity("article") or "")
        if intent in PROBLEMS | {FALLBACK_INTENT} and self._also_asks_for_a_ticket(parse):
            # "Open a ticket: the printer is jammed" - do what was asked, keep the category.
            state.last_problem = parse.text
            state.last_intent = intent if intent in PROBLEMS else state.last_intent
            return await self.forms.start(
                conversation,
                "create_ticket",
                parse,
                prefill={"description": without_request(parse.text)},
            )
        if intent in IDENTITY:
            state.last_intent = intent
            mode = "unlock" if intent == "account_locked" else "reset"
            return await self.forms.start(
                conversation, "password_reset", None, prefill={"mode": mode}
            )
        if intent in PROBLEMS:
            state.last_intent = intent
            return await self._answer(conversation, parse.text, confident_intent=True)
        if intent == "add_comment":
            return await self.forms.start(
                conversation,
                "add_comment",
                parse,
                prefill={
                    "ticket_number": parse.entity("ticket_number"),
                    "comment": parse.entity("comment"),
                },
            )
        if intent == "open_incident":
            description = parse.entity("description") or (  # the omnibox's "ticket with this text"
                without_request(parse.text)
                if describes_a_problem(parse.text)
                else state.last_problem
            )
            return await self.forms.start(
                conversation, "create_ticket", parse, prefill={"description": description}
            )
        if intent == "report_outage":
            state.last_problem, state.last_intent = parse.text, intent
            return await self.forms.start(
                conversation,
                "create_ticket",
                parse,
                prefill={"description": parse.text, "impact": OUTAGE_IMPACT},
            )
        if intent in ORDERS:
            state.last_intent = intent
            # A button may name the item's own fields too (a replacement: its reason).
            fields: dict[str, str | None] = {
                e.entity: str(e.value) for e in parse.entities if e.entity.startswith("field_")
            }
            return await self.forms.start(conversation, "order_item", parse, prefill=fields)
        if intent == "incident_status":
            return await self.forms.start(conversation, "ticket_status", parse)
        if intent in {"affirm", "deny"}:
            return [
                Reply(
                    text=t("All right. What can I do for you?", language),
                    buttons=self._menu(language),
                )
            ]
        return await self._answer(conversation, parse.text, confident_intent=False)

    def _menu(self, language: str) -> list[Button]:
        return [
            Button(title=t("My tickets", language), payload="/incident_status"),
            Button(title=t("Order equipment", language), payload="/order_equipment"),
            Button(title=t("Create a ticket", language), payload="/open_incident"),
            Button(title=t("Talk to an agent", language), payload="/human_handoff"),
        ]

    # -- knowledge-base answers ----------------------------------------------------------------

    async def _answer(
        self, conversation: Conversation, text: str, *, confident_intent: bool
    ) -> list[Reply]:
        state, language = conversation.state, conversation.language
        state.last_problem = text
        reader = await self.readers(conversation.user_id)
        with span("knowledge.search"):
            answered = await self.knowledge.answer(
                SearchQuery(text, language, limit=3, types=ARTICLE_TYPES, reader=reader)
            )
        self.observer.answer("chat", answered=answered.answer)
        hits = answered.hits
        if answered.answer:
            state.consecutive_failures = 0
            return await self._with_replacement(
                conversation, text, self._article_reply(conversation, hits[0])
            )
        if not confident_intent:
            state.consecutive_failures += 1
        topic = topic_of(state.last_intent) if confident_intent else None
        if topic is not None:
            related = [h for h in hits if h.score >= self.thresholds.suggest]
            return await self._with_replacement(
                conversation, text, topic_reply(topic, related, language, self._escalate(language))
            )
        escalate = self._escalate(language)
        suggestions = [h for h in hits if h.score >= self.thresholds.suggest]
        if suggestions:
            buttons = [
                Button(title=h.entry.title, payload=payload("article", article=h.entry.group))
                for h in suggestions
            ]
            return [
                Reply(
                    text=t("I'm not sure I understood. Is it one of these?", language),
                    buttons=buttons + escalate,
                )
            ]
        if state.consecutive_failures >= FAILURES_BEFORE_AGENT:
            # Failing twice in a row: a human takes over without being asked.
            handoff = await self.forms.run(
                conversation, "handoff", prefill={"reason": "bot_failed"}
            )
            return [
                Reply(
                    text=t("I still can't find an answer, so I'm bringing in a person.", language)
                ),
                *handoff,
            ]
        return [
            Reply(
                text=t(
                    "Sorry, I didn't understand. Could you describe your problem in other words?",
                    language,
                ),
                buttons=escalate,
            )
        ]

    async def _with_replacement(
        self, conversation: Conversation, text: str, replies: list[Reply]
    ) -> list[Reply]:
        """ "My laptop is slow" from someone whose laptop is past age: offer its replacement."""
        context = self.forms.context(conversation)
        if "assets" not in context.services or not slow_computer(text):
            return replies
        offer = replacement_offer(context, await holdings(context), text)
        return replies if offer is None else [*replies[:1], offer, *replies[1:]]

    def _escalate(self, language: str) -> list[Button]:
        return [
            Button(title=t("Talk to an agent", language), payload="/human_handoff"),
            Button(title=t("Create a ticket", language), payload="/open_incident"),
        ]

    def _article_reply(self, conversation: Conversation, hit: Hit) -> list[Reply]:
        state, language = conversation.state, conversation.language
        state.offered_articles = [*state.offered_articles, hit.entry.id][-10:]
        state.awaiting_feedback = True
        return [
            Reply(
                text=t(
                    "This article should help: **{title}**\n{snippet}",
                    language,
                    title=hit.entry.title,
                    snippet=hit.snippet(),
                ),
                links=[Link(title=hit.entry.title, url=hit.entry.url)],
            ),
            Reply(
                text=t("Did that solve your problem?", language),
                buttons=[
                    Button(title=t("Yes, solved", language), payload="/affirm"),
                    Button(title=t("No, still a problem", language), payload="/deny"),
                ],
            ),
        ]

    async def _show_article(self, conversation: Conversation, group: str) -> list[Reply]:
        entry = self.knowledge.entry(group, conversation.language)
        if entry is not None and entry.groups:
            reader = await self.readers(conversation.user_id)
            entry = entry if reader.may_read(entry.groups) else None
        if entry is None:
            return [
                Reply(
                    text=t(
                        "Sorry, I didn't understand. Could you describe your problem in other "
                        "words?",
                        conversation.language,
                    )
                )
            ]
        return self._article_reply(conversation, Hit(entry=entry, passage=entry.body, score=1.0))

    async def _feedback(self, conversation: Conversation, solved: bool) -> list[Reply]:
        state, language = conversation.state, conversation.language
        state.awaiting_feedback = False
        await record_answer_vote(
            self.knowledge,
            query=state.last_problem,
            entry_id=state.offered_articles[-1] if state.offered_articles else None,
            helpful=solved,
            conversation_id=conversation.id,
        )
        if solved:
            state.slots["resolved_by_kb"] = True
            return [Reply(text=t("Great, glad it's solved! Anything else?", language))]
        intro = Reply(
            text=t(
                "Sorry it didn't help. Let's create a ticket so that a technician takes over.",
                language,
            )
        )
        replies = await self.forms.start(
            conversation, "create_ticket", None, prefill={"description": state.last_problem}
        )
        return [intro, *replies]

    async def _resolution(
        self, conversation: Conversation, reference: str, *, works: bool
    ) -> list[Reply]:
        """The requester's answer to "does it work now?": close or reopen their ticket."""
        return await answer_resolution(self.forms.context(conversation), reference, works=works)

    # -- forms ---------------------------------------------------------------------------------
