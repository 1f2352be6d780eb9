"""Every definition style the extractor recognises, every non-definition it reports, and the writer's markers.

Each note here is made up for the test; the reasons are the codes `--explain` shows.
"""

from __future__ import annotations

import pytest

from dva_cards.extract import CardDraft, Extraction, Rejected, extract


def fronts(text: str) -> list[tuple[str, str]]:
    return [(card.front, card.back) for card in extract(text).cards]


def reasons(text: str) -> list[tuple[int, str]]:
    return [(rejected.line, rejected.reason) for rejected in extract(text).skipped]


# --- plain, unmarked terms ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "separator", [": ", " - ", " – ", " — ", " = ", " -> ", " => ", " → ", "：", " : ", " ："]
)
def test_plain_term_with_every_separator(separator: str) -> None:
    assert fronts(f"- Cold start{separator}the delay before a runtime serves\n") == [
        ("Cold start", "the delay before a runtime serves")
    ]


def test_plain_term_keeps_its_parenthesised_abbreviation() -> None:
    assert fronts("- Persistent Volume Claims (PVC): storage requests by users\n") == [
        ("Persistent Volume Claims (PVC)", "storage requests by users")
    ]


def test_full_width_colon_without_spaces() -> None:
    assert fronts("- 符号解析：每个符号对应于一个函数\n") == [("符号解析", "每个符号对应于一个函数")]


def test_a_colon_inside_a_word_or_url_is_no_separator() -> None:
    assert extract("- see https://example.com for more\n- meet at 10:30 today\n") == Extraction((), ())


# --- links as terms -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "term",
    [
        "[Term](https://example.com)",
        "**[Term](https://example.com)**",
        "[**Term**](#term)",
        "[[Term]]",
        "**[[Term]]**",
        "[[Other page|Term]]",
    ],
)
def test_link_as_term(term: str) -> None:
    assert fronts(f"- {term}: what it means\n") == [("Term", "what it means")]


def test_code_link_as_term() -> None:
    assert fronts("- [`fetch()`](https://example.com): starts a request\n") == [
        ("fetch()", "starts a request")
    ]


def test_links_without_a_separator_are_navigation() -> None:
    assert extract("- [Intro](#intro)\n    - [Setup](#setup)\n- [[Index]]\n") == Extraction((), ())


# --- separators inside the bold, and parentheses ---------------------------------------------------


def test_separator_inside_the_bold() -> None:
    assert fronts("- **Term:** what it means\n- **Other：** 另一个\n") == [
        ("Term", "what it means"),
        ("Other", "另一个"),
    ]


def test_whole_pair_inside_the_bold() -> None:
    assert fronts("- **IaC = Infrastructure as Code**\n") == [("IaC", "Infrastructure as Code")]
    assert fronts("- **Viral infections → lymphocytosis**\n") == [("Viral infections", "lymphocytosis")]


def test_parenthesis_after_a_bold_term_belongs_to_the_front() -> None:
    assert fronts("- **Term** (abbr) the meaning\n- **Other** (O) - its meaning\n") == [
        ("Term (abbr)", "the meaning"),
        ("Other (O)", "its meaning"),
    ]


def test_examples_in_parentheses_belong_to_the_back() -> None:
    assert fronts("- **Provisioned resources** (e.g., IP address): cost incurred while allocated\n") == [
        ("Provisioned resources", "(e.g., IP address) cost incurred while allocated")
    ]


def test_bold_name_with_a_gloss() -> None:
    assert fronts("- __rigors \\(shivering\\)__\n") == [("rigors", "shivering")]


# --- term lines with children ----------------------------------------------------------------------


def test_marked_term_line_with_sub_bullets() -> None:
    assert fronts("- **Consistency models**\n  - strong: reads see the last write\n") == [
        ("Consistency models", "- strong: reads see the last write"),
        ("strong", "reads see the last write"),
    ]


def test_marked_term_with_separator_and_indented_paragraph() -> None:
    assert fronts("1. **discursive**:\n\n   wandering from topic to topic\n") == [
        ("discursive", "wandering from topic to topic")
    ]


def test_short_plain_term_line_with_sub_bullets() -> None:
    assert fronts("- Geographical Separation\n  - regions are far apart\n") == [
        ("Geographical Separation", "- regions are far apart")
    ]


def test_plain_line_ending_in_a_colon_leads_into_a_list() -> None:
    text = "- Supported services:\n  - Blob\n  - Queue\n"
    assert extract(text).cards == ()
    assert reasons(text) == [(1, "introduces a list, not a term")]


def test_plain_lead_in_gives_no_context_but_a_marked_term_does() -> None:
    result = extract("- **Storage tiers**\n  - *Hot*: read often\n- types:\n  - *Cold*: read rarely\n")
    contexts = {card.front: card.context for card in result.cards}
    assert contexts["Hot"] == ("Storage tiers",)
    assert contexts["Cold"] == ()


# --- numbered lists, blockquotes, callouts, lazy lines -----------------------------------------------


def test_numbered_lists() -> None:
    assert fronts("1. **Release**: an installed chart\n2) Chart - a package\n") == [
        ("Release", "an installed chart"),
        ("Chart", "a package"),
    ]


def test_lists_in_blockquotes_and_callouts() -> None:
    text = "> [!note] Networking\n> - **TTL**: time to live\n>   - counted in seconds\n"
    assert extract(text).cards == (CardDraft((), "TTL", "time to live\n\n- counted in seconds", 2, 0),)


def test_lazy_continuation_line_stays_in_the_back() -> None:
    assert fronts("- **inveterate**: always doing something\nand unlikely to stop\n") == [
        ("inveterate", "always doing something\nand unlikely to stop")
    ]


def test_emoji_before_the_term_is_decoration() -> None:
    assert fronts("1. 🔄 **Version Management**: keeps every release\n") == [
        ("Version Management", "keeps every release")
    ]


# --- defining sentences ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "front"),
    [
        ("- A *Linked List* is a linear collection of nodes", "Linked List"),
        ("- *Hashing* is used to map data of any size", "Hashing"),
        ("- **IAM Policies** are documents that grant access", "IAM Policies"),
        ("- Symmetric encryption uses the same key to encrypt and decrypt", "Symmetric encryption"),
        ("- A public subnet is a subnet reachable from the internet", "public subnet"),
        ("- A trie, sometimes called a prefix tree, is a kind of search tree", "trie"),
        ("- 二叉树是每个节点最多有两个子节点的树", "二叉树"),
        ("- **Bellman-Ford 算法**是计算最短路径的算法", "Bellman-Ford 算法"),
    ],
)
def test_defining_sentences(line: str, front: str) -> None:
    assert [card.front for card in extract(line + "\n").cards] == [front]


@pytest.mark.parametrize(
    "line",
    [
        "- The instance is stopped and then started",
        "- Messages are deleted after they are read",
        "- It is multi-AZ and resilient",
        "- every customer is isolated",
    ],
)
def test_statements_are_not_defining_sentences(line: str) -> None:
    assert extract(line + "\n").cards == ()


# --- tables ------------------------------------------------------------------------------------------


def test_term_definition_table_gives_a_card_per_row() -> None:
    text = "| Term | Definition |\n|---|---|\n| TTL | time to live |\n| `ls` | lists files |\n"
    assert extract(text).cards == (
        CardDraft((), "TTL", "time to live", 3, 0),
        CardDraft((), "ls", "lists files", 4, 0),
    )


def test_port_service_table() -> None:
    assert fronts("| Port | Service |\n|---|---|\n| 22 | SSH |\n") == [("22", "SSH")]


def test_three_column_table_with_a_description_column() -> None:
    text = "| Type | Description | Example |\n|---|---|---|\n| IaaS | you manage the OS | VMs |\n"
    assert fronts(text) == [("IaaS", "you manage the OS\n\nExample: VMs")]


@pytest.mark.parametrize(
    "table",
    [
        "| Security Group | Network ACL |\n|---|---|\n| instance level | subnet level |\n",
        "| Tool | Version |\n|---|---|\n| Docker | 18.09 |\n",
        "| Name | Size | Price |\n|---|---|---|\n| small | 1 GB | 1 |\n",
    ],
)
def test_comparison_and_value_tables_are_not_glossaries(table: str) -> None:
    assert extract(table) == Extraction((), ())


def test_table_of_needs_and_names_is_reported() -> None:
    text = "| Feature | Product |\n|---|---|\n| Store files shared by many machines | Files |\n"
    assert extract(text).cards == ()
    assert reasons(text) == [(3, "table pairs descriptions with names, not terms with meanings")]


# --- what is not a definition, with its reason --------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("- **Cheaper storage** for rarely read data", "bold inside a sentence"),
        ("- Keep the **root** account locked away", "bold inside a sentence"),
        ("- **Always tag your resources.**\n  - tags help billing", "whole sentence in bold"),
        ("- Note: back up first", "label, not a term"),
        ("- **Tip:** use the console", "label, not a term"),
        ("- e.g.: a queue", "label, not a term"),
        ("- **Exam tip** - watch the limits", "label, not a term"),
        ("- **Important**: read twice", "label, not a term"),
        ("- Ejemplo: una cola", "label, not a term"),
        ("- Remarque : une file", "label, not a term"),
        ("- 注意：先备份", "label, not a term"),
        ("- Step 1: open the console", "step or instruction, not a term"),
        ("- How does it scale: by shards", "question, not a term"),
        ("- **Replica**: same as previous", "back only points elsewhere"),
        ("- **Mirror** - see above", "back only points elsewhere"),
        ("- the service is always available in every region: yes", "sentence, not a term"),
        (
            "- connects the web tier to the application tier quickly: via a load balancer",
            "term too long to be a term (9 words)",
        ),
        ("- **Term** -", "empty definition"),
        ("- Access: `O(n)`", "a value, not an explanation"),
        ("- Retention: 14 days", "a value, not an explanation"),
        ("- Stable: No", "a value, not an explanation"),
        ("- Tiers: Hot, Cool, Archive", "a list of names, not an explanation"),
        ("- using SQS, SNS: messaging", "sentence, not a term"),
        ("- **Latency**: Choose a region close to your users", "advice, not an explanation"),
        ("- Small jobs → Use the cheapest tier", "advice, not an explanation"),
        ("- Endpoint Interface: the rest", "back only points elsewhere"),
        ("- V = 16 | 1 coin used", "a variable being set, not a term"),
        ("- C++ -> https://example.com/cpp-runtime", "back only points elsewhere"),
        ("- **Queues**: see [the queue notes](queues.md)", "back only points elsewhere"),
    ],
)
def test_non_definitions_are_reported(line: str, reason: str) -> None:
    result = extract(line + "\n")
    assert result.cards == ()
    assert result.skipped == (Rejected(1, reason, line.split("\n")[0]),)


def test_a_marked_term_keeps_its_measured_value() -> None:
    # The writer marked the term: `*Memory* - 128 MB to 10 GB` is a card they asked for.
    assert fronts("- *Memory* - 128 MB to 10 GB\n") == [("Memory", "128 MB to 10 GB")]


def test_emphasis_opening_a_sentence_is_stress_and_not_reported() -> None:
    assert extract("- *highest cost* but no upfront payment\n") == Extraction((), ())


def test_advice_under_a_tips_heading_is_reported() -> None:
    text = "## Best Practices\n\n1. **Security**\n   - rotate keys\n"
    assert extract(text).cards == ()
    assert reasons(text) == [(3, "under a heading of tips, examples or issues")]


_ALL_BOLD = "".join(f"* __fact number {index} holds__\n" for index in range(12))


def test_bold_everywhere_marks_nothing() -> None:
    text = (
        _ALL_BOLD
        + "* __Grouping__\n  * __SNP__\n* __Driven by__\n  * __adhesion molecules like neutrophils__\n"
    )
    assert extract(text).cards == ()


def test_bold_everywhere_a_short_bold_line_explained_below_is_a_term() -> None:
    text = _ALL_BOLD + "* __Incisional biopsy__\n  * __A sample from the lesion is taken__\n"
    [card] = extract(text).cards
    assert (card.front, card.back) == ("Incisional biopsy", "* __A sample from the lesion is taken__")


def test_bold_everywhere_lowercase_long_or_numbered_lines_stay_plain() -> None:
    text = _ALL_BOLD + "".join(
        f"* __{line}__\n  * __what follows explains nothing new__\n"
        for line in ("healing", "Chronic inflammation may arise in many ways", "Type 2 cells")
    )
    assert extract(text).cards == ()


def test_bold_everywhere_a_long_gloss_leaves_the_front() -> None:
    text = (
        _ALL_BOLD
        + "* __Atopic persons \\(prone to allergic reactions\\)__\n  * __have IgE antibody on the surface__\n"
    )
    assert [card.front for card in extract(text).cards] == ["Atopic persons"]


def test_bold_broken_into_pieces_is_no_term() -> None:
    assert extract("- __T__  __H__  __1 cells produce interferon__\n").cards == ()


def test_a_bold_gloss_needs_a_name_not_a_clause() -> None:
    text = "- __rigors \\(shivering\\)__\n- __form stacks \\(rouleaux\\)__\n- __inflammation of long duration \\(weeks\\)__\n"
    assert [card.front for card in extract(text).cards] == ["rigors"]


# --- the writer's markers ---------------------------------------------------------------------------


def test_front_matter_excludes_a_file() -> None:
    text = "---\ntitle: Draft\ndva-cards: false\n---\n- **TTL**: time to live\n"
    assert extract(text) == Extraction((), ())


def test_front_matter_is_not_read_as_markdown() -> None:
    text = "---\ntags:\n  - aws\n---\n- **TTL**: time to live\n"
    assert extract(text).cards == (CardDraft((), "TTL", "time to live", 5, 0),)


def test_off_and_on_markers_exclude_a_section() -> None:
    text = (
        "# A\n- **One**: first\n<!-- dva-cards: off -->\n# B\n- **Two**: second\n- Note: hidden\n"
        "<!-- dva-cards: on -->\n- **Three**: third\n"
    )
    result = extract(text)
    assert [(card.front, card.context) for card in result.cards] == [("One", ("A",)), ("Three", ("B",))]
    assert result.skipped == ()


def test_card_marker_forces_the_next_item() -> None:
    text = "<!-- dva-cards: card -->\n- Cheaper storage for rarely read data: use the cold tier\n- Note: not forced\n"
    result = extract(text)
    assert [card.front for card in result.cards] == ["Cheaper storage for rarely read data"]
    assert [rejected.line for rejected in result.skipped] == [3]


def test_card_marker_forces_an_item_without_a_term() -> None:
    text = "<!-- DVA-Cards: Card -->\n- Always tag your resources\n  - tags drive the bill\n"
    assert fronts(text) == [("Always tag your resources", "- tags drive the bill")]


def test_card_marker_does_not_reach_past_a_paragraph() -> None:
    text = "<!-- dva-cards: card -->\n\nSome prose.\n\n- Note: not forced\n"
    assert extract(text).cards == ()


def test_card_marker_before_a_table_reads_it_as_a_glossary() -> None:
    text = "<!-- dva-cards: card -->\n| Left | Right |\n|---|---|\n| up | down |\n| in | out |\n"
    assert fronts(text) == [("up", "down"), ("in", "out")]
    assert extract(text.split("\n", 1)[1]) == Extraction((), ())


def test_abbreviations_under_a_common_heading_are_vocabulary() -> None:
    text = "## Common Abbreviations\n\n- **AuthN**: Authentication\n"
    assert [card.front for card in extract(text).cards] == ["AuthN"]


def test_items_under_an_example_heading_are_an_aside() -> None:
    text = "## Real-world Example\n\n- **Login** checks your password against the directory.\n"
    assert extract(text).cards == ()


def test_connectives_and_comparatives_open_statements() -> None:
    text = "- Otherwise: nothing is done\n- More instances = higher cost\n- 否则：什么也不做\n"
    assert extract(text).cards == ()


def test_a_relative_clause_is_no_term() -> None:
    assert extract("- Focus on what matters: building applications.\n").cards == ()


def test_hay_fever_is_english_not_a_spanish_verb() -> None:
    text = "- **Bronchial asthma, hay fever** → eosinophilia\n"
    assert [card.front for card in extract(text).cards] == ["Bronchial asthma, hay fever"]


# --- statements that look like definitions ------------------------------------------------------------


def test_a_plain_phrase_with_an_article_inside_is_a_clause() -> None:
    text = "- Owning the equipment limits the agility - you must buy new hardware\n"
    assert extract(text).cards == ()
    assert reasons(text) == [(1, "sentence, not a term")]


def test_an_article_after_a_preposition_stays_inside_a_name() -> None:
    text = "- Software as a Service: the provider runs the application\n- Man in the middle: an attack\n"
    assert [card.front for card in extract(text).cards] == ["Software as a Service", "Man in the middle"]


def test_a_back_of_pronouns_and_auxiliaries_says_nothing() -> None:
    assert reasons("- Billing: You might.\n") == [(1, "empty definition")]


def test_a_dotted_token_after_a_plain_term_is_a_value() -> None:
    text = "- Internal domain name format: service-name.namespace.svc.cluster.local\n"
    assert reasons(text) == [(1, "a value, not an explanation")]


def test_a_dotted_token_after_a_marked_term_is_its_answer() -> None:
    assert [card.front for card in extract("- **Default host**: api.example.org\n").cards] == ["Default host"]


def test_three_lowercase_words_listed_are_names() -> None:
    assert reasons("- protocol: tcp, udp, or icmp\n") == [(1, "a list of names, not an explanation")]


def test_two_lowercase_words_or_a_clause_are_not_a_list() -> None:
    text = "- *scope* - region or zonal\n- *Your own AMI* - you make and maintain them\n"
    assert [card.front for card in extract(text).cards] == ["scope", "Your own AMI"]


def test_an_obligation_after_a_plain_term_is_a_statement() -> None:
    text = "- On-premises: must use a Customer Gateway\n"
    assert reasons(text) == [(1, "advice, not an explanation")]


def test_an_obligation_after_a_marked_term_is_its_specification() -> None:
    text = "- `Container Image` - must implement the runtime API\n"
    assert [card.front for card in extract(text).cards] == ["Container Image"]


def test_a_title_and_its_author_are_a_reference() -> None:
    text = "* Cracking The Coding Interview - Gayle Laakmann McDowell\n* Competitive Programming 3 - Steven Halim & Felix Halim\n"
    assert extract(text).cards == ()
    assert [reason for _, reason in reasons(text)] == ["a list of names, not an explanation"] * 2


def test_a_step_name_pair_is_not_a_reference() -> None:
    assert [card.front for card in extract("1. Manage Environments -> Upload Version\n").cards] == [
        "Manage Environments"
    ]


def test_a_letter_given_a_value_is_an_assignment() -> None:
    assert reasons("* Assume V = 41. We pick the largest coin first.\n") == [
        (1, "a variable being set, not a term")
    ]


def test_a_participle_after_a_bold_word_is_stress() -> None:
    assert reasons("* **Bursting** supported by Premium disks\n") == [(1, "bold inside a sentence")]


def test_a_bold_subject_announcing_its_list_leads_in() -> None:
    text = "- **Storage** offers performance and access tiers:\n  - Hot: frequent access\n"
    assert [card.front for card in extract(text).cards] == ["Hot"]
    assert (1, "introduces a list, not a term") in reasons(text)


def test_a_bold_line_ending_in_a_colon_for_other_reasons_is_a_term() -> None:
    text = "* **Throughput mode** set at creation time:\n  * *Bursting* - grows with size\n"
    assert [card.front for card in extract(text).cards] == ["Throughput mode", "Bursting"]


def test_a_bold_word_and_one_more_before_the_colon_are_the_term() -> None:
    text = "- **Serverless** services (Functions, Logic Apps):\n  - Event-driven\n  - Charged per execution\n"
    [card] = extract(text).cards
    assert card.front == "Serverless services"
    assert card.back.startswith("(Functions, Logic Apps)")


def test_a_glued_dash_after_an_abbreviation_separates_it() -> None:
    [card] = extract("- VPC -Virtual Private Cloud: private network for your resources\n").cards
    assert (card.front, card.back) == ("VPC", "Virtual Private Cloud: private network for your resources")


def test_qualified_labels_are_labels() -> None:
    text = "- Core Goal: understand your data\n- Quick tip: tag resources\n"
    assert [reason for _, reason in reasons(text)] == ["label, not a term"] * 2


def test_a_bare_term_line_with_bold_inside_or_a_remark_in_parentheses_is_no_term() -> None:
    text = (
        "- Multi-attach feature of **io1**\n  - up to 16 instances\n"
        "- Marketplace (can include commercial software)\n  - paid images\n"
    )
    assert extract(text).cards == ()


def test_a_verb_followed_by_a_preposition_is_no_defining_sentence() -> None:
    assert extract("- Default allows on a per resource decision later on\n").cards == ()
    assert [c.front for c in extract("- Destinations allow for more target services\n").cards] == [
        "Destinations"
    ]


def test_unbalanced_quotes_make_no_clean_term() -> None:
    text = _ALL_BOLD + '* __"missens mutasyonları”__\n  * __Orak hücreli anemiye neden olan mutasyon__\n'
    assert extract(text).cards == ()


def test_an_indefinite_with_a_reduced_clause_names_a_category() -> None:
    text = "- Something you know : password.\n- **Something you are**: biometric property\n"
    assert [card.front for card in extract(text).cards] == ["Something you know", "Something you are"]


def test_an_indefinite_opening_a_sentence_is_still_a_sentence() -> None:
    assert extract("- Something is wrong with the setup: check logs first\n").cards == ()


def test_a_code_term_defined_by_a_copula_and_an_article() -> None:
    text = "- `appspec.yml` is a specification for the deployment\n- `images` are stored on registries\n"
    assert [card.front for card in extract(text).cards] == ["appspec.yml"]


def test_an_abbreviation_line_with_sub_bullets_is_a_term() -> None:
    text = "- SQS:\n  - queue model\n  - messages kept four days\n- Supported services:\n  - queues\n"
    assert [card.front for card in extract(text).cards] == ["SQS"]
    assert (4, "introduces a list, not a term") in reasons(text)
