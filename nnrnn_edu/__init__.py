"""nnrnn_edu: memory in recurrent networks with non-normal dynamics.

The library behind the interactive book. One concern per module:

- :mod:`nnrnn_edu.config` - quick mode, presets, seeds, devices (chapter setup cells)
- :mod:`nnrnn_edu.connectivity` - the four recurrent initialisers, exact spectra, Henrici index (chapter 1)
- :mod:`nnrnn_edu.memory` - Fisher memory curves, total Fisher memory, noise covariance (chapter 1)
- :mod:`nnrnn_edu.plotting` - pure ``plot_*`` functions returning matplotlib figures
- :mod:`nnrnn_edu.widgets` - thin ipywidgets wrappers over the plotting functions

Importing the package does no work and imports neither torch nor matplotlib.
"""

__version__ = "0.1.0"
