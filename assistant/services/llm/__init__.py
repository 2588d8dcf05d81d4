"""Language-model providers behind one streaming protocol.

``base`` holds the provider-neutral shapes (:class:`~assistant.services.llm.base.ChatMessage`,
:class:`~assistant.services.llm.base.ModelTier`, the :class:`~assistant.services.llm.base.LLMProvider`
protocol), ``events`` what a stream yields, one module per provider the SDK adapters, and ``factory``
builds a provider from the configured keys.
"""
