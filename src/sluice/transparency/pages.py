"""The transparency page: the latest signed tree head and, step by step, how anyone checks
it (and the log behind it) without trusting the platform. No login."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from sluice.core.clock import local
from sluice.core.errors import SluiceError
from sluice.core.i18n import add_messages
from sluice.transparency import heads
from sluice.web.deps import AppClock, AppSettings, DbSession, MaybePrincipal
from sluice.web.templating import render

router = APIRouter()
PAGE: Final = "/transparency"

add_messages(
    {
        "nav.transparency": ("审计公开核验", "Audit transparency"),
        "transparency.title": ("审计日志公开核验", "Audit log transparency"),
        "transparency.lead": (
            "平台上每一次数据调用、审批与操作都写入审计日志。日志只增不改：已写入的记录不能修改或"
            "删除。全部记录按写入顺序构成一棵默克尔树（RFC 9162，哈希算法 SM3），数据主管部门定期"
            "用其 SM2 密钥对树的大小和根哈希签名，称为“签名树头”。任何人无需登录、无需信任本平台，"
            "用下面的步骤和公开的公钥即可核验：日志中的记录没有被改动或删除，某条记录确实在日志中。",
            "Every data call, approval and action on the platform is written to the audit log. "
            "The log only grows: no entry can be changed or deleted once written. All entries, "
            "in the order written, form a Merkle tree (RFC 9162, hashed with SM3), and the data "
            "bureau regularly signs the tree's size and root hash with its SM2 key: a signed "
            "tree head. Anyone, without an account and without trusting this platform, can use "
            "the steps below and the published public key to check that no entry was changed "
            "or removed, and that a given entry is in the log.",
        ),
        "transparency.head": ("最新签名树头", "Latest signed tree head"),
        "transparency.none": (
            "尚无签名树头：平台还没有设立数据主管部门。",
            "No signed tree head yet: the platform has no data bureau.",
        ),
        "transparency.tree_size": ("记录条数（树的大小）", "Entries (tree size)"),
        "transparency.root_hash": ("根哈希（SM3）", "Root hash (SM3)"),
        "transparency.timestamp": ("签名时间（UTC）", "Signed at (UTC)"),
        "transparency.local_time": ("本地时间 {time}", "{time} local time"),
        "transparency.algorithm": ("算法", "Algorithm"),
        "transparency.public_key": ("签名公钥（SM2）", "Signing public key (SM2)"),
        "transparency.signature": ("签名", "Signature"),
        "transparency.json": ("机器可读：", "Machine-readable: "),
        "transparency.how": ("如何核验", "How to check it"),
        "transparency.tool": (
            "核验工具是一个小程序，离线运行，只需要公钥，不连接平台的数据库：安装 Sluice（或取其"
            "源代码，需要 Python 3.11 及 cryptography、gmssl-pyx 两个包）即可使用。它通过时打印 "
            "OK，不通过时打印 FAILED 和原因。命令：",
            "The checker is a small program that runs offline with the public key alone and "
            "never touches the platform's database: install Sluice (or take its source; it needs "
            "Python 3.11 and the cryptography and gmssl-pyx packages). It prints OK when "
            "everything holds, and FAILED with the reason when not. The command:",
        ),
        "transparency.step1": (
            "取得公钥。从 {keys} 取得数据主管部门的 SM2 公钥，并与其通过其他渠道（公文、官方网站）"
            "公布的公钥核对一致。下面的 <公钥> 即指它。",
            "Get the public key. Take the data bureau's SM2 public key from {keys} and compare "
            "it with the key the bureau publishes elsewhere (official notices, its own "
            "website). <KEY> below stands for it.",
        ),
        "transparency.step2": (
            "保存今天的树头，并核验它的签名：",
            "Save today's tree head and check its signature:",
        ),
        "transparency.step3": (
            "过一段时间（比如一周后）再保存一个新树头 new.json，向平台索取从旧树头到新树头的一致性"
            "证明并核验。通过，说明旧树头覆盖的每一条记录都原样保留，新日志只是在其后追加：",
            "Some time later (a week, say) save a new tree head as new.json, ask the platform "
            "for the consistency proof from the old head to the new one, and check it. If it "
            "holds, every entry the old head covered is still there unchanged, and the new log "
            "only appended after it:",
        ),
        "transparency.step4": (
            "核验某一条记录在日志中。平台的审计人员可在控制台查到该记录的叶子序号和叶子哈希"
            "（{leaf}），再取包含证明并核验：",
            "Check that a given entry is in the log. The platform's auditors can look up the "
            "entry's leaf index and leaf hash ({leaf}); then fetch its inclusion proof and "
            "check it:",
        ),
        "transparency.step5": (
            "保存你核验过的每一个树头。日后若平台给出的树头与之矛盾（同一大小而根哈希不同，或无法"
            "证明新旧树头一致），这两份带签名的树头本身就证明日志被改动过。",
            "Keep every tree head you checked. Should the platform later show a head that "
            "contradicts one of them (the same size with another root, or no consistency proof "
            "between them), the two signed heads are themselves the proof that the log was "
            "changed.",
        ),
        "transparency.placeholders": (
            "<旧大小>、<新大小> 分别是两个树头中的 tree_size；<序号> 从 0 起。",
            "<OLD>, <NEW> are the tree_size of the two heads; <INDEX> counts from 0.",
        ),
    }
)


@router.get(PAGE, response_class=HTMLResponse, tags=["portal"])
def transparency(
    request: Request,
    principal: MaybePrincipal,
    session: DbSession,
    settings: AppSettings,
    clock: AppClock,
) -> HTMLResponse:
    """Anyone: the latest signed tree head of the audit log and how to check it."""
    try:
        head = heads.current_head(session, settings=settings, at=clock.now())
    except SluiceError:
        head = None
    signed_at = None
    if head is not None:
        signed_at = local(datetime.fromisoformat(head.timestamp.replace("Z", "+00:00")))
    return render(
        request,
        "transparency/transparency.html",
        {
            "head": head,
            "signed_at": signed_at.strftime("%Y-%m-%d %H:%M:%S") if signed_at else None,
            "base": settings.base_url.rstrip("/"),
        },
    )
