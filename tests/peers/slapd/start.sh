#!/bin/sh
# A private OpenLDAP server for the integration tests (tests/api/slapd.rs).
#
#   start.sh DIR PORT
#
# Builds a complete slapd of its own in DIR (a cn=config directory DIR/slapd.d and an mdb
# database DIR/data, seeded from directory.ldif next to this script), then replaces itself
# with slapd in the foreground, listening on ldap://127.0.0.1:PORT/ only: killing this
# process kills slapd. Nothing of the machine's own slapd (/etc/ldap/slapd.d, /var/lib/ldap,
# the openldap user) is read or changed, apart from the stock schema files.
#
# Runs as whoever calls it (root in CI), with no -u/-g. Needs Debian's packages:
#   apt-get install -y slapd ldap-utils
#
# Called again on a DIR it has already built, it starts slapd on the existing data.
# slapd writes its pid (that of this script, which it replaces) to DIR/slapd.pid once it
# holds the port; if the port is taken, it exits 1 without writing it.
#
# The directory:
#   suffix        dc=yunguan,dc=test
#   rootdn        cn=admin,dc=yunguan,dc=test               / admin-secret   (may do anything)
#   service       cn=yunguan,ou=services,dc=yunguan,dc=test / service-secret (reads everything
#                 but passwords)
#   users         uid=NAME,ou=people,dc=yunguan,dc=test     (may bind, read their own entry
#                 and change their own password)
#   anonymous     may bind with a password (auth), reads nothing but the root DSE and schema
#
# Environment (all optional): SLAPD, SLAPADD, SLAPD_MODULE_DIR (/usr/lib/ldap),
# SLAPD_SCHEMA_DIR (/etc/ldap/schema), SLAPD_DEBUG (slapd's -d level: "none" by default,
# which keeps slapd in the foreground and prints only its errors, such as "bind(6) failed
# errno=98 (Address already in use)", on stderr; -d 0 would exit silently; "stats" also
# logs every operation).
set -eu

if [ $# -ne 2 ]; then
    echo "usage: $0 DIR PORT" >&2
    exit 2
fi
port=$2
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1"
dir=$(cd "$1" && pwd)

slapd=${SLAPD:-/usr/sbin/slapd}
slapadd=${SLAPADD:-/usr/sbin/slapadd}
modules=${SLAPD_MODULE_DIR:-/usr/lib/ldap}
schema=${SLAPD_SCHEMA_DIR:-/etc/ldap/schema}

for file in "$slapd" "$slapadd" "$modules/back_mdb.so" "$schema/core.ldif" \
    "$schema/cosine.ldif" "$schema/nis.ldif" "$schema/inetorgperson.ldif"; do
    if [ ! -e "$file" ]; then
        echo "$0: $file is missing: apt-get install -y slapd ldap-utils" >&2
        exit 1
    fi
done

# slapd sizes its descriptor table by RLIMIT_NOFILE; containers often allow 1M+, which
# makes it slow to start and hungry. A test server needs few.
nofile=$(ulimit -n)
if [ "$nofile" = unlimited ] || [ "$nofile" -gt 1024 ]; then
    ulimit -n 1024
fi

if [ ! -e "$dir/built" ]; then
    rm -rf "$dir/slapd.d" "$dir/data"
    mkdir -p "$dir/slapd.d" "$dir/data"
    cat > "$dir/config.ldif" <<CONFIG
dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: $dir/slapd.pid
olcArgsFile: $dir/slapd.args
olcLogLevel: none
olcToolThreads: 1

dn: cn=module{0},cn=config
objectClass: olcModuleList
cn: module{0}
olcModulePath: $modules
olcModuleLoad: back_mdb

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

include: file://$schema/core.ldif

include: file://$schema/cosine.ldif

include: file://$schema/nis.ldif

include: file://$schema/inetorgperson.ldif

dn: olcDatabase={-1}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {-1}frontend
olcSizeLimit: 500
olcAccess: {0}to dn.base="" by * read
olcAccess: {1}to dn.base="cn=Subschema" by * read

dn: olcDatabase={0}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {0}config
olcAccess: {0}to * by * none

dn: olcDatabase={1}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {1}mdb
olcSuffix: dc=yunguan,dc=test
olcDbDirectory: $dir/data
olcDbMaxSize: 67108864
olcRootDN: cn=admin,dc=yunguan,dc=test
olcRootPW: admin-secret
olcLastMod: TRUE
olcDbIndex: objectClass eq
olcDbIndex: cn,uid,mail eq
olcDbIndex: member eq
olcAccess: {0}to attrs=userPassword
  by anonymous auth
  by self =xw
  by * none
olcAccess: {1}to *
  by dn.exact="cn=yunguan,ou=services,dc=yunguan,dc=test" read
  by self read
  by * none
CONFIG
    "$slapadd" -n 0 -F "$dir/slapd.d" -l "$dir/config.ldif" >&2
    "$slapadd" -q -b dc=yunguan,dc=test -F "$dir/slapd.d" -l "$here/directory.ldif" >&2
    touch "$dir/built"
fi

exec "$slapd" -d "${SLAPD_DEBUG:-none}" -h "ldap://127.0.0.1:$port/" -F "$dir/slapd.d"
