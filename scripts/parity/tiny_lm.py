"""Tiny random causal LMs (GPT-2 or Llama) with a byte-level BPE tokenizer, as SmolLM2 has, built offline.

Shared by the tests (tests/conftest.py) and the decoder parity fixtures (build_decoder_fixtures.py, which runs
in the reference's virtualenv): only torch, tokenizers and transformers are imported.
"""

from __future__ import annotations

LM_CORPUS = ["company person location organization date city country entity other thing",
             "Apple hired Tim Cook in Cupertino.", "Angela Merkel met Emmanuel Macron in Berlin and Paris."]


def build_tiny_causal_lm(directory, kind="gpt2", hidden=24, vocab_size=300, eos="<|endoftext|>", pad=None):
    """A random tiny GPT-2 or Llama causal LM with a byte-level BPE tokenizer (as SmolLM2's) in ``directory``."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import GPT2Config, GPT2LMHeadModel, GPT2TokenizerFast, LlamaConfig, LlamaForCausalLM

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    specials = [t for t in (eos, pad) if t]
    tok.train_from_iterator(LM_CORPUS * 5, trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    fast = GPT2TokenizerFast(tokenizer_object=tok, eos_token=eos, bos_token=eos, unk_token=eos, pad_token=pad)
    fast.save_pretrained(directory)
    eos_id = fast.convert_tokens_to_ids(eos) if eos else None
    torch.manual_seed(1)
    if kind == "gpt2":
        lm = GPT2LMHeadModel(GPT2Config(vocab_size=len(fast), n_positions=256, n_embd=hidden, n_layer=2, n_head=2,
                                        bos_token_id=eos_id, eos_token_id=eos_id))
    else:
        lm = LlamaForCausalLM(LlamaConfig(vocab_size=len(fast), hidden_size=hidden, intermediate_size=2 * hidden,
                                          num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=1,
                                          max_position_embeddings=256, bos_token_id=eos_id, eos_token_id=eos_id,
                                          tie_word_embeddings=True))
    lm.save_pretrained(directory)
    return directory
