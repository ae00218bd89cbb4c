"""Confluence's storage format as text: structure kept, macros and their parameters dropped."""

from __future__ import annotations

from knowledge_index.sources.confluence_storage import storage_text

PAGE = """<h1>VPN &amp; you</h1><p>Connect with <strong>the client</strong>.&nbsp;See
<ac:link><ri:page ri:content-title="VPN FAQ" /></ac:link> and <ac:link><ri:page
ri:content-title="Other"/><ac:plain-text-link-body><![CDATA[the other page]]>
</ac:plain-text-link-body></ac:link>.</p>
<ac:structured-macro ac:name="toc"><ac:parameter ac:name="maxLevel">2</ac:parameter>
</ac:structured-macro>
<ac:structured-macro ac:name="warning"><ac:parameter ac:name="title">Careful</ac:parameter>
<ac:rich-text-body><p>Restart first.</p></ac:rich-text-body></ac:structured-macro>
<ol><li>Open it<ul><li>sub a</li><li>sub b</li></ul></li><li>Sign in</li></ol>
<ac:structured-macro ac:name="code"><ac:parameter ac:name="language">bash</ac:parameter>
<ac:plain-text-body><![CDATA[sudo vpn up
  --force]]></ac:plain-text-body></ac:structured-macro>
<table><tbody><tr><th>Site</th><th>Server</th></tr><tr><td><p>Lyon</p></td><td>vpn-ly</td></tr>
</tbody></table>
<p><ac:image><ri:attachment ri:filename="x.png"/></ac:image>After the image
<ac:emoticon ac:name="smile"/></p>
<ac:task-list><ac:task><ac:task-id>1</ac:task-id><ac:task-status>incomplete</ac:task-status>
<ac:task-body>Check the token</ac:task-body></ac:task></ac:task-list>"""


def test_headings_links_lists_code_and_tables_are_kept() -> None:
    text = storage_text(PAGE)
    assert text.startswith(
        "# VPN & you\n\nConnect with the client. See VPN FAQ and the other page."
    )
    assert "Warning:\n\nRestart first." in text
    assert "1. Open it\n  - sub a\n  - sub b\n2. Sign in" in text
    assert "```\nsudo vpn up\n  --force\n```" in text
    assert "Site | Server\nLyon | vpn-ly" in text
    assert "- Check the token" in text


def test_macro_parameters_images_and_task_states_are_dropped() -> None:
    text = storage_text(PAGE)
    for dropped in ("maxLevel", "Careful", "bash", "x.png", "smile", "incomplete"):
        assert dropped not in text
    assert "After the image" in text
