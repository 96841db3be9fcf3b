"""EPCIS header, SBDH, master data and DSCSA statement elements onto the model.

* ``EPCISHeader`` (EPCIS 2.0 §9.3.2; EPCIS 1.2 §9.5): the Standard Business Document
  Header (GS1 SBDH / UN/CEFACT SBDH 1.3), master data in ``extension/EPCISMasterData``
  (EPCIS 2.0 §7.2, §9.3.4), and further elements (``##other``).
* ``gs1ushc:dscsaTransactionStatement`` from the GS1 US DSCSA Implementation Guideline R1.3
  becomes :class:`~medtrace.epcis.model.DscsaTransactionStatement`; other header elements
  (e.g. ``gs1ushc:guidelineVersion``) are kept as header extensions.
"""

from __future__ import annotations

from typing import Final

from lxml import etree

from medtrace.epcis.model import (
    BusinessScope,
    Contact,
    DocumentIdentification,
    DscsaTransactionStatement,
    EPCISHeader,
    Extension,
    Partner,
    StandardBusinessDocumentHeader,
    Vocabulary,
    VocabularyAttribute,
    VocabularyElement,
)
from medtrace.epcis.xml_event_reader import (
    XmlValueProblem,
    collect_extensions,
    is_user_tag,
    text_of,
    to_extension,
)
from medtrace.epcis.xml_names import GS1USHC_NS, SBDH_NS, split_tag, tag_variants
from medtrace.epcis.xml_values import parse_bool, parse_datetime

__all__ = ["parse_document_extensions", "parse_header", "parse_sbdh", "parse_vocabulary_list"]

Element = etree._Element

_SBDH: Final = f"{{{SBDH_NS}}}StandardBusinessDocumentHeader"
_DSCSA_STATEMENT: Final = f"{{{GS1USHC_NS}}}dscsaTransactionStatement"
_EXTENSION_TAGS: Final = frozenset(tag_variants("extension"))
_MASTER_DATA_TAGS: Final = frozenset(tag_variants("EPCISMasterData"))


def _sbdh_children(el: Element) -> list[tuple[str, Element]]:
    """(local name, element) of the SBDH-namespace children of ``el``."""
    out = []
    for child in el:
        ns, name = split_tag(child.tag)
        out.append((name if ns == SBDH_NS else "", child))
    return out


def _sbdh_datetime(el: Element) -> object:
    try:
        return parse_datetime(text_of(el))
    except ValueError as exc:
        raise XmlValueProblem(str(exc), el) from None


def _partner(el: Element) -> Partner:
    identifier: str | None = None
    authority: str | None = None
    contacts: list[Contact] = []
    for name, child in _sbdh_children(el):
        if name == "Identifier":
            identifier = text_of(child)
            authority = child.get("Authority")
        elif name == "ContactInformation":
            fields = {
                "Contact": "contact",
                "EmailAddress": "email_address",
                "FaxNumber": "fax_number",
                "TelephoneNumber": "telephone_number",
                "ContactTypeIdentifier": "contact_type_identifier",
            }
            values: dict[str, str] = {}
            for sub_name, sub in _sbdh_children(child):
                field = fields.get(sub_name)
                if field is None:
                    raise XmlValueProblem(
                        f"unexpected element in ContactInformation: {sub.tag}", sub
                    )
                values[field] = text_of(sub)
            contacts.append(Contact(**values))
        else:
            raise XmlValueProblem(f"unexpected element in SBDH partner: {child.tag}", child)
    if identifier is None:
        raise XmlValueProblem("SBDH Sender/Receiver without Identifier", el)
    return Partner(identifier=identifier, authority=authority, contacts=tuple(contacts))


def _document_identification(el: Element) -> DocumentIdentification:
    fields = {
        "Standard": "standard",
        "TypeVersion": "type_version",
        "InstanceIdentifier": "instance_identifier",
        "Type": "type",
    }
    values: dict[str, object] = {}
    for name, child in _sbdh_children(el):
        if name in fields:
            values[fields[name]] = text_of(child)
        elif name == "MultipleType":
            try:
                values["multiple_type"] = parse_bool(text_of(child))
            except ValueError as exc:
                raise XmlValueProblem(str(exc), child) from None
        elif name == "CreationDateAndTime":
            values["creation_date_and_time"] = _sbdh_datetime(child)
        else:
            raise XmlValueProblem(
                f"unexpected element in DocumentIdentification: {child.tag}", child
            )
    for name, field in (*fields.items(), ("CreationDateAndTime", "creation_date_and_time")):
        if field not in values:
            raise XmlValueProblem(f"DocumentIdentification without {name}", el)
    return DocumentIdentification(**values)  # type: ignore[arg-type]


def _business_scope(el: Element) -> list[BusinessScope]:
    scopes = []
    for name, scope in _sbdh_children(el):
        if name != "Scope":
            raise XmlValueProblem(f"unexpected element in BusinessScope: {scope.tag}", scope)
        values: dict[str, str] = {}
        extensions: list[Extension] = []
        for sub_name, sub in _sbdh_children(scope):
            if sub_name == "Type":
                values["type"] = text_of(sub)
            elif sub_name == "InstanceIdentifier":
                values["instance_identifier"] = text_of(sub)
            elif sub_name == "Identifier":
                values["identifier"] = text_of(sub)
            else:
                extensions.append(to_extension(sub))
        if "type" not in values or "instance_identifier" not in values:
            raise XmlValueProblem("BusinessScope/Scope needs Type and InstanceIdentifier", scope)
        scopes.append(BusinessScope(**values, extensions=tuple(extensions)))
    return scopes


def parse_sbdh(el: Element) -> StandardBusinessDocumentHeader:
    """``sbdh:StandardBusinessDocumentHeader`` (UN/CEFACT SBDH 1.3 as profiled by GS1)."""
    header_version: str | None = None
    identification: DocumentIdentification | None = None
    senders: list[Partner] = []
    receivers: list[Partner] = []
    scopes: list[BusinessScope] = []
    extensions: list[Extension] = []
    for name, child in _sbdh_children(el):
        if name == "HeaderVersion":
            header_version = text_of(child)
        elif name == "Sender":
            senders.append(_partner(child))
        elif name == "Receiver":
            receivers.append(_partner(child))
        elif name == "DocumentIdentification":
            identification = _document_identification(child)
        elif name == "BusinessScope":
            scopes.extend(_business_scope(child))
        else:
            extensions.append(to_extension(child))
    if header_version is None or identification is None:
        raise XmlValueProblem("SBDH needs HeaderVersion and DocumentIdentification", el)
    return StandardBusinessDocumentHeader(
        header_version=header_version,
        document_identification=identification,
        senders=tuple(senders),
        receivers=tuple(receivers),
        business_scope=tuple(scopes),
        extensions=tuple(extensions),
    )


def _vocabulary_element(el: Element) -> VocabularyElement:
    element_id = el.get("id")
    if not element_id:
        raise XmlValueProblem("VocabularyElement without id attribute", el)
    attributes: list[VocabularyAttribute] = []
    children: list[str] = []
    for child in el:
        name = split_tag(child.tag)[1] if not is_user_tag(child.tag) else ""
        if name == "attribute":
            attr_id = child.get("id")
            if not attr_id:
                raise XmlValueProblem("attribute without id", child)
            if len(child):
                attributes.append(
                    VocabularyAttribute(id=attr_id, children=tuple(to_extension(c) for c in child))
                )
            else:
                attributes.append(VocabularyAttribute(id=attr_id, value=(child.text or "").strip()))
        elif name == "children":
            children.extend(text_of(c) for c in child)
        else:
            raise XmlValueProblem(f"unexpected element {child.tag} in VocabularyElement", child)
    return VocabularyElement(id=element_id, attributes=tuple(attributes), children=tuple(children))


def parse_vocabulary_list(el: Element) -> tuple[Vocabulary, ...]:
    """``VocabularyList`` (EPCIS 2.0 §9.3.4): vocabularies of master data."""
    vocabularies = []
    for vocab in el:
        if split_tag(vocab.tag)[1] != "Vocabulary":
            raise XmlValueProblem(f"unexpected element {vocab.tag} in VocabularyList", vocab)
        vtype = vocab.get("type")
        if not vtype:
            raise XmlValueProblem("Vocabulary without type attribute", vocab)
        elements: list[VocabularyElement] = []
        for child in vocab:
            if split_tag(child.tag)[1] != "VocabularyElementList":
                raise XmlValueProblem(f"unexpected element {child.tag} in Vocabulary", child)
            elements.extend(_vocabulary_element(ve) for ve in child)
        vocabularies.append(Vocabulary(type=vtype, elements=tuple(elements)))
    return tuple(vocabularies)


def _master_data(el: Element) -> tuple[Vocabulary, ...]:
    out: list[Vocabulary] = []
    for child in el:
        name = split_tag(child.tag)[1]
        if name == "VocabularyList":
            out.extend(parse_vocabulary_list(child))
        elif child.tag not in _EXTENSION_TAGS:
            raise XmlValueProblem(f"unexpected element {child.tag} in EPCISMasterData", child)
    return tuple(out)


def _dscsa_statement(el: Element) -> DscsaTransactionStatement:
    affirm: bool | None = None
    notice: str | None = None
    extensions: list[Extension] = []
    for child in el:
        if child.tag == f"{{{GS1USHC_NS}}}affirmTransactionStatement":
            try:
                affirm = parse_bool(text_of(child))
            except ValueError as exc:
                raise XmlValueProblem(str(exc), child) from None
        elif child.tag == f"{{{GS1USHC_NS}}}legalNotice":
            notice = text_of(child)
        else:
            extensions.append(to_extension(child))
    return DscsaTransactionStatement(
        affirm_transaction_statement=affirm, legal_notice=notice, extensions=tuple(extensions)
    )


def parse_header(el: Element) -> EPCISHeader:
    """``EPCISHeader`` of an EPCIS 1.2 or 2.0 document."""
    sbdh: StandardBusinessDocumentHeader | None = None
    master: list[Vocabulary] = []
    statement: DscsaTransactionStatement | None = None
    extensions: list[Extension] = []

    def visit(parent: Element, *, in_extension: bool) -> None:
        nonlocal sbdh, statement
        for child in parent:
            tag = child.tag
            if tag == _SBDH:
                sbdh = parse_sbdh(child)
            elif tag in _MASTER_DATA_TAGS:
                master.extend(_master_data(child))
            elif tag in _EXTENSION_TAGS:
                visit(child, in_extension=True)
            elif tag == _DSCSA_STATEMENT:
                statement = _dscsa_statement(child)
            elif is_user_tag(tag) or (in_extension and tag[:1] != "{"):
                extensions.append(to_extension(child))
            else:
                raise XmlValueProblem(f"unexpected element {tag} in EPCISHeader", child)

    visit(el, in_extension=False)
    return EPCISHeader(
        sbdh=sbdh,
        master_data=tuple(master),
        dscsa_transaction_statement=statement,
        extensions=tuple(extensions),
    )


def parse_document_extensions(el: Element, skip: frozenset[str]) -> tuple[Extension, ...]:
    """User extensions among the children of ``el`` (a document root or body), except the
    standard children named in ``skip``; ``extension`` wrappers are unwrapped."""
    out: list[Extension] = []
    for child in el:
        tag = child.tag
        if tag in skip:
            continue
        if tag in _EXTENSION_TAGS:
            out.extend(collect_extensions(child, in_extension=True))
        elif is_user_tag(tag):
            out.append(to_extension(child))
        else:
            raise XmlValueProblem(f"unexpected element {tag} in {split_tag(el.tag)[1]}", child)
    return tuple(out)
