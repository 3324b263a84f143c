#!/usr/bin/env python3
"""Writes the seed corpora of tests/fuzz/corpus/<target>/ (committed).

Run from anywhere: python3 tests/fuzz/tools/make_seeds.py
Protobuf is encoded by hand (no python protobuf needed); field numbers
follow proto/*.proto.
"""
import base64, os, struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'corpus')


def varint(v):
    v &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = v & 0x7f
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def f_varint(n, v):
    return varint(n << 3) + varint(v)


def f_bytes(n, b):
    if isinstance(b, str):
        b = b.encode()
    return varint(n << 3 | 2) + varint(len(b)) + b


def f_double(n, d):
    return varint(n << 3 | 1) + struct.pack('<d', d)


def write(target, name, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b'=')


def jt_check(p):
    a, b = 0x5a17, 0
    for x in p:
        a = (a + x) & 0xffff
        b = (b + a) & 0xffff
    return (a ^ (((b << 5) | (b >> 11)) & 0xffff)) & 0xffff


def join_token(tenant=b'antraidant', addr=b'tcp://127.0.0.1:7600', exp=1893456000000):
    p = bytes([1]) + bytes(range(32)) + bytes(range(100, 132)) + struct.pack('>q', exp)
    p += bytes([len(tenant)]) + tenant + bytes([len(addr)]) + addr
    p += struct.pack('>H', jt_check(p))
    return b'pxj1.' + b64u(p)


# ---- jointoken: byte 0 selects join (0), viewer (1), base64url (2)
write('jointoken', 'join_ok', b'\x00' + join_token())
write('jointoken', 'join_spaces', b'\x00  ' + join_token(b'rocfm', b'tcp://hub.example.org:7600') + b'\n')
write('jointoken', 'join_badcheck', b'\x00' + join_token()[:-2] + b'AA')
write('jointoken', 'join_cut', b'\x00' + join_token()[:40])
write('jointoken', 'viewer_ok', b'\x01pxv1.' + b64u(bytes(range(32))))
write('jointoken', 'viewer_short', b'\x01pxv1.' + b64u(bytes(range(31))))
write('jointoken', 'b64', b'\x02' + b64u(b'Laurentides proche aidance'))

# ---- plugin_params: byte < 128 "name=value"; >= 128 a value for param (b % 6)
for i, a in enumerate([b'hours_year_max=24', b' hours_year_max = 36 ', b'hours_year_max=-1',
                       b'offset=-9223372036854775808', b'rate=0.25', b'rate=1e-3', b'scale=inf',
                       b'strict=oui', b'strict=non', b'label=Laurentides',
                       b'label=\xc3\xa9t\xc3\xa9', b'unknown=1', b'noequals']):
    write('plugin_params', 'assign_%02d' % i, b'\x00' + a)
for i, (sel, v) in enumerate([(128, b'24'), (129, b'+7'), (130, b'0.5'), (131, b'nan'),
                              (132, b'yes'), (133, b'texte libre')]):
    write('plugin_params', 'value_%02d' % i, bytes([sel]) + v)

# ---- praxis.Hub request payloads
ping = f_bytes(1, 'bonjour')
enroll = f_bytes(1, bytes(32)) + f_bytes(2, "L'Antr'Aidant") + f_bytes(3, 'Laurentides')
listr = f_bytes(2, '2025')
agg = f_bytes(1, 'laurentides') + f_bytes(2, 'Laurentides') + f_bytes(3, '2025')
indic = f_bytes(9, f_bytes(1, 'members_active') + f_double(2, 12.0) + f_varint(4, 12))
indic2 = f_bytes(9, f_bytes(1, 'attendance_rate') + f_double(2, 0.8) + f_varint(4, 10))
find = f_bytes(10, f_bytes(1, 'LAU-4') + f_varint(2, 2) + f_varint(3, 1))
report = (f_bytes(1, 'ab12cd34-1') + f_bytes(2, 'CdP proche aidance') + f_bytes(3, 'laurentides') +
          f_bytes(4, 'Laurentides') + f_varint(5, 3) + f_bytes(6, '2025') + f_varint(7, 1) +
          f_varint(8, 1764000000000) + indic + indic2 + find + f_varint(11, 5) + f_varint(12, 1))
report_q = (f_bytes(1, 'ab12cd34-2') + f_bytes(3, 'rocfm') + f_bytes(4, 'Montréal') +
            f_varint(5, 2) + f_bytes(6, '2025-Q1') + f_varint(7, 3) + indic + f_varint(11, 5))
signed = f_bytes(1, f_bytes(1, report) + f_bytes(2, bytes(32)) + f_bytes(3, bytes(64)))
write('hub_request', 'ping', b'\x00' + ping)
write('hub_request', 'enroll', b'\x01' + enroll)
write('hub_request', 'submit_unsigned', b'\x02' + signed)
write('hub_request', 'list', b'\x03' + listr)
write('hub_request', 'aggregate', b'\x04' + agg)
write('hub_request', 'report_year', b'\x05' + report)
write('hub_request', 'report_quarter', b'\x05' + report_q)

# ---- rpc_envelope: byte 0 even = raw wire, odd = plaintext Request in the box
def request(method, payload):
    return f_bytes(1, method) + f_varint(2, 7) + f_bytes(5, payload)

write('rpc_envelope', 'raw_short', b'\x00PX1')
write('rpc_envelope', 'raw_header', b'\x00PX1' + bytes(32) + bytes(24) + bytes(40))
write('rpc_envelope', 'raw_plain', b'\x00PX0\x03erreur')
write('rpc_envelope', 'req_ping', b'\x01' + request('praxis.Hub/Ping', ping))
write('rpc_envelope', 'req_list', b'\x01' + request('praxis.Hub/ListReports', listr))
write('rpc_envelope', 'req_unknown', b'\x01' + request('praxis.Hub/Nope', b''))
write('rpc_envelope', 'req_deadline', b'\x01' + request('praxis.Hub/Ping', ping) + f_varint(3, 1))

# ---- node_reply: byte 0 bit 0 = boxed Reply, bits 1.. = method index
def reply(code, payload, msg=''):
    st = f_varint(1, code) + (f_bytes(2, msg) if msg else b'')
    return f_bytes(2, st) + (f_bytes(3, payload) if payload else b'')

write('node_reply', 'plain_error', bytes([0 << 1]) + b'PX0\x10cl\xc3\xa9 inconnue')
write('node_reply', 'plain_ok', bytes([0 << 1]) + b'PX0\x00')
write('node_reply', 'garbage', bytes([1 << 1]) + b'PX1' + bytes(30))
write('node_reply', 'ping_ok', bytes([0 << 1 | 1]) + reply(0, f_bytes(1, 'bonjour') + f_varint(2, 1764000000000) + f_bytes(3, bytes(32))))
write('node_reply', 'enroll_ok', bytes([1 << 1 | 1]) + reply(0, f_bytes(1, 'antraidant') + f_bytes(2, bytes(32))))
write('node_reply', 'submit_dup', bytes([2 << 1 | 1]) + reply(0, f_varint(1, 1) + f_varint(2, 3)))
write('node_reply', 'list_rows', bytes([3 << 1 | 1]) + reply(0, f_bytes(1, f_bytes(1, 't') + f_bytes(2, 'u') + f_bytes(3, '2025') + f_varint(4, 1))))
write('node_reply', 'agg_total', bytes([4 << 1 | 1]) + reply(0, f_bytes(2, f_bytes(1, 'laurentides') + f_varint(6, 3))))
write('node_reply', 'denied', bytes([2 << 1 | 1]) + reply(7, b'', 'permission refusée'))

# ---- csv_import: the file given to `member import`
csv = {
    'semicolon': 'Nom;Prénom;Courriel;Date de naissance;Organisme\nTremblay;Marie-Ève;me@example.org;12/03;\nGagnon;Luc;luc@example.org;01/11;\n',
    'comma_bom': '\ufeffFamily name,First name,E-mail,Consent\nRoy,Anne,anne@example.org,oui\n',
    'tab': 'Nom\tPrénom\tStatut\tDate d\'adhésion\nCôté\tJulie\tactive\t2024-09-01\n',
    'quoted': 'Nom;Prénom;Rôle\n"Bouchard; fils";"Jean\nPierre";member\n"O""Neil";Kim;moderator\n',
    'bad_rows': 'Nom;Prénom;Date de naissance;Courriel\nLeblanc;;31/02;pas-un-courriel\n;Zoé;12/13;\n',
    'no_header_cols': 'Foo;Bar\n1;2\n',
    'dup_col': 'Nom;Prénom;Nom\nA;B;C\n',
    'day_month': 'Nom;Prénom;Jour;Mois;Départ\nPoirier;Nadia;5;7;2025-01-31\n',
    'crlf': 'Nom,Prénom\r\nLavoie,Éric\r\nMorin,Sophie\r\n',
}
for name, text in csv.items():
    write('csv_import', name, text.encode('utf-8'))
write('csv_import', 'latin1', 'Nom;Prénom\nHébert;Chloé\n'.encode('latin-1'))
