"""nwt: audio-to-video generation with Memcodes (dVAE-Adv, FAR/MAR priors), after "NWT: Towards natural audio-to-video generation
with representation learning". The public API is below; every name loads its module on first use, so `import nwt` stays light.
This file is written by hand (nbdev only sets `__version__`); the modules themselves are exported from the notebooks in nbs/."""
__version__ = "0.1.0"

_API = {  # name -> the module that defines it
    # models and their loaders (nbs/01, 10, 21, 22, 24)
    'Memcodes': 'nwt.models.memcodes', 'DVAE': 'nwt.models.dvae', 'FAR': 'nwt.models.far', 'MAR': 'nwt.models.mar',
    'load_dvae': 'nwt.models.dvae', 'load_prior': 'nwt.models.inference', 'encode_video': 'nwt.models.dvae',
    'decode_video': 'nwt.models.dvae', 'generate_codes': 'nwt.models.inference',
    # speech to video (nbs/30) and the baseline (nbs/60)
    'generate': 'nwt.apps.generate', 'speak': 'nwt.apps.generate', 'load_lam': 'nwt.baselines.lam', 'lam_generate': 'nwt.baselines.lam',
    # frames, settings, errors (nbs/00, 04)
    'to_video_tensor': 'nwt.io', 'to_frames': 'nwt.io', 'load_params': 'nwt.config', 'NwtError': 'nwt.config',
}
__all__ = list(_API)

def __getattr__(name):
    "Import the module that defines public `name` on first use (PEP 562)."
    if name not in _API: raise AttributeError(f"module 'nwt' has no attribute {name!r}")
    import importlib
    value = getattr(importlib.import_module(_API[name]), name)
    globals()[name] = value
    return value

def __dir__(): return sorted(set(globals()) | set(_API))
