"""The differentiable ops, by family. Each op is one ``Function`` with forward and backward."""
