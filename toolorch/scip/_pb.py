"""The protobuf classes of toolorch's SCIP subset, built at runtime (no protoc needed).

The schema is the table below, mirrored in `scip.proto` beside this file (a test compiles that file
with grpcio-tools and checks both agree). Field numbers and wire types match the official SCIP
schema; enums are int32, which has the same wire format. A private descriptor pool keeps these
classes from clashing with any other `scip.proto` loaded in the same process.
"""

from __future__ import annotations

from functools import cache
from types import SimpleNamespace
from typing import Any

# message -> [(field name, number, type, repeated)]; a type is "int32", "string", "bool" or a message
SCHEMA: dict[str, list[tuple[str, int, str, bool]]] = {
    "Index": [("metadata", 1, "Metadata", False), ("documents", 2, "Document", True),
              ("external_symbols", 3, "SymbolInformation", True)],
    "Metadata": [("version", 1, "int32", False), ("tool_info", 2, "ToolInfo", False),
                 ("project_root", 3, "string", False), ("text_document_encoding", 4, "int32", False)],
    "ToolInfo": [("name", 1, "string", False), ("version", 2, "string", False),
                 ("arguments", 3, "string", True)],
    "Document": [("relative_path", 1, "string", False), ("occurrences", 2, "Occurrence", True),
                 ("symbols", 3, "SymbolInformation", True), ("language", 4, "string", False),
                 ("text", 5, "string", False), ("position_encoding", 6, "int32", False)],
    "SymbolInformation": [("symbol", 1, "string", False), ("documentation", 3, "string", True),
                          ("relationships", 4, "Relationship", True), ("kind", 5, "int32", False),
                          ("display_name", 6, "string", False),
                          ("signature_documentation", 7, "Document", False),
                          ("enclosing_symbol", 8, "string", False)],
    "Relationship": [("symbol", 1, "string", False), ("is_reference", 2, "bool", False),
                     ("is_implementation", 3, "bool", False), ("is_type_definition", 4, "bool", False),
                     ("is_definition", 5, "bool", False)],
    "Occurrence": [("range", 1, "int32", True), ("symbol", 2, "string", False),
                   ("symbol_roles", 3, "int32", False), ("override_documentation", 4, "string", True),
                   ("syntax_kind", 5, "int32", False), ("diagnostics", 6, "Diagnostic", True),
                   ("enclosing_range", 7, "int32", True)],
    "Diagnostic": [("severity", 1, "int32", False), ("code", 2, "string", False),
                   ("message", 3, "string", False), ("source", 4, "string", False),
                   ("tags", 5, "int32", True)],
}


def file_descriptor_proto() -> Any:
    """The FileDescriptorProto of the subset (package `scip`, proto3)."""
    from google.protobuf import descriptor_pb2

    fdp = descriptor_pb2.FileDescriptorProto(name="toolorch/scip/scip.proto", package="scip",
                                             syntax="proto3")
    scalar = {"int32": descriptor_pb2.FieldDescriptorProto.TYPE_INT32,
              "string": descriptor_pb2.FieldDescriptorProto.TYPE_STRING,
              "bool": descriptor_pb2.FieldDescriptorProto.TYPE_BOOL}
    for message, fields in SCHEMA.items():
        msg = fdp.message_type.add(name=message)
        for name, number, typ, repeated in fields:
            fld = msg.field.add(name=name, number=number, json_name=_camel(name))
            fld.label = (descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED if repeated
                         else descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL)
            if typ in scalar:
                fld.type = scalar[typ]
            else:
                fld.type = descriptor_pb2.FieldDescriptorProto.TYPE_MESSAGE
                fld.type_name = f".scip.{typ}"
    return fdp


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.capitalize() for p in rest)


@cache
def messages() -> SimpleNamespace:
    """The generated message classes: `messages().Index`, `.Document`, `.Occurrence`, ..."""
    from google.protobuf import descriptor_pool, message_factory

    pool = descriptor_pool.DescriptorPool()
    file_desc = pool.Add(file_descriptor_proto())
    del file_desc
    return SimpleNamespace(**{
        name: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"scip.{name}"))
        for name in SCHEMA
    })
