"""The provider registry: data, not code. One entry per provider id.

family   the wire format the upstream speaks: "openai" (chat completions) or "anthropic" (messages);
         "kiro" is registered so its prefix resolves, and is served once its executor exists.
auth     how the key travels: "bearer" (Authorization: Bearer) or "x-api-key" (Anthropic style).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ProviderSpec:
    id: str
    name: str
    family: str
    base_url: str
    prefixes: tuple[str, ...] = ()
    auth: str = "bearer"
    key_hint: str = ""
    models: tuple[str, ...] = ()
    regions: dict[str, str] = field(default_factory=dict)

    @property
    def all_prefixes(self) -> tuple[str, ...]:
        return (self.id, *self.prefixes)


_CLAUDE = ("claude-opus-4-8", "claude-sonnet-4-6", "claude-haiku-4-5")

PROVIDERS: dict[str, ProviderSpec] = {
    spec.id: spec
    for spec in (
        ProviderSpec(
            "openai",
            "OpenAI",
            "openai",
            "https://api.openai.com/v1",
            key_hint="sk-",
            models=("gpt-5", "gpt-5-mini", "gpt-4.1"),
        ),
        ProviderSpec(
            "anthropic",
            "Anthropic",
            "anthropic",
            "https://api.anthropic.com/v1",
            auth="x-api-key",
            key_hint="sk-ant-",
            models=_CLAUDE,
        ),
        ProviderSpec(
            "claude",
            "Claude (Claude Code)",
            "anthropic",
            "https://api.anthropic.com/v1",
            prefixes=("cc",),
            auth="x-api-key",
            models=_CLAUDE,
        ),
        ProviderSpec(
            "openrouter",
            "OpenRouter",
            "openai",
            "https://openrouter.ai/api/v1",
            prefixes=("or",),
            key_hint="sk-or-",
            models=("anthropic/claude-sonnet-4.5", "openai/gpt-5", "deepseek/deepseek-chat"),
        ),
        ProviderSpec(
            "xiaomi-mimo",
            "Xiaomi MiMo",
            "openai",
            "https://api.xiaomimimo.com/v1",
            prefixes=("mimo",),
            key_hint="sk-",
            models=("mimo-v2.5-pro", "mimo-v2.5", "mimo-v2-omni", "mimo-v2-flash"),
        ),
        ProviderSpec(
            "xiaomi-tokenplan",
            "Xiaomi MiMo (Token Plan)",
            "openai",
            "https://token-plan-sgp.xiaomimimo.com/v1",
            prefixes=("xmtp",),
            key_hint="tp-",
            models=("mimo-v2.5-pro", "mimo-v2.5-pro-claude", "mimo-v2.5", "mimo-v2-pro"),
            regions={
                "sgp": "https://token-plan-sgp.xiaomimimo.com/v1",
                "cn": "https://token-plan-cn.xiaomimimo.com/v1",
                "ams": "https://token-plan-ams.xiaomimimo.com/v1",
            },
        ),
        ProviderSpec(
            "deepseek",
            "DeepSeek",
            "openai",
            "https://api.deepseek.com/v1",
            prefixes=("ds",),
            models=("deepseek-chat", "deepseek-reasoner"),
        ),
        ProviderSpec(
            "glm",
            "GLM (Zhipu)",
            "openai",
            "https://open.bigmodel.cn/api/paas/v4",
            models=("glm-4.6", "glm-4.5-air"),
        ),
        ProviderSpec(
            "groq",
            "Groq",
            "openai",
            "https://api.groq.com/openai/v1",
            key_hint="gsk_",
            models=("llama-3.3-70b-versatile", "openai/gpt-oss-120b"),
        ),
        ProviderSpec(
            "gemini",
            "Gemini (OpenAI-compatible)",
            "openai",
            "https://generativelanguage.googleapis.com/v1beta/openai",
            models=("gemini-2.5-pro", "gemini-2.5-flash"),
        ),
        ProviderSpec(
            "kiro",
            "Kiro AI",
            "kiro",
            "https://q.us-east-1.amazonaws.com",
            prefixes=("kr",),
            auth="oauth",
            models=("claude-sonnet-4.5", "claude-sonnet-4", "claude-haiku-4.5", "claude-opus-4.5"),
        ),
    )
}

CUSTOM_NODE_TYPES = ("openai-compatible", "anthropic-compatible")


def prefix_table() -> dict[str, str]:
    """Every prefix (aliases and ids) -> provider id."""
    table: dict[str, str] = {}
    for spec in PROVIDERS.values():
        for prefix in spec.all_prefixes:
            table[prefix] = spec.id
    return table
