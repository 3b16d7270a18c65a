#!/usr/bin/env python3
"""A net-snmp `pass` program serving a fixed table of objects, as a vendor agent would.

snmpd runs it as `pass_table.py TABLE.json SUBTREE -g OID` (GET) or `-n OID` (GETNEXT);
TABLE.json maps dotted OIDs to [type, value] with net-snmp's pass types (integer, gauge,
string, objectid, ...), SUBTREE is the OID the program was registered for. It prints the
object's OID, type and value, or nothing when there is none in SUBTREE.
"""
import json
import sys


def arcs(oid):
    return tuple(int(arc) for arc in oid.strip(".").split(".") if arc)


def main():
    table_path, subtree, mode, asked = sys.argv[1:5]
    root = arcs(subtree)
    with open(table_path, encoding="utf-8") as table_file:
        table = {
            arcs(oid): entry
            for oid, entry in json.load(table_file).items()
            if arcs(oid)[: len(root)] == root
        }
    wanted = arcs(asked)
    if mode == "-g":
        found = wanted if wanted in table else None
    elif mode == "-n":
        found = next((oid for oid in sorted(table) if oid > wanted), None)
    else:
        print("not-writable")
        return
    if found is not None:
        kind, value = table[found]
        print("." + ".".join(str(arc) for arc in found))
        print(kind)
        print(value)


main()
