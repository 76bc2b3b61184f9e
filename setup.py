from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).parent


class BuildWithPluginAssets(build_py):
    """Copy the top-level plugin_assets/ into the built package as lrdiag/plugin_assets.

    The repository keeps the tab's front end at the top level (plugin_assets/); a wheel must
    carry it inside the package so the TensorBoard plugin can serve it from site-packages.
    """

    def run(self):
        super().run()
        src = HERE / "plugin_assets"
        dst = Path(self.build_lib) / "lrdiag" / "plugin_assets"
        # Only what the tab serves; the README's screenshots stay out of the wheel.
        for f in src.glob("*"):
            if f.suffix in (".js", ".css", ".html"):
                dst.mkdir(parents=True, exist_ok=True)
                self.copy_file(str(f), str(dst / f.name))

extras = {
    "mlflow": ["mlflow>=2.10"],
    "lightning": ["lightning>=2.1"],
    "transformers": ["transformers>=4.40", "accelerate>=0.26"],
    "dev": [
        "pytest>=7",
        "pytest-timeout",
        "hypothesis>=6",
        "playwright>=1.40",
        "scikit-learn>=1.2",
    ],
}
extras["all"] = sorted({req for reqs in extras.values() for req in reqs})

setup(
    name="lrdiag",
    version="0.1.0",
    description="Learning-rate diagnostics for PyTorch, shown in TensorBoard and MLflow",
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    python_requires=">=3.10",
    packages=find_packages(include=["lrdiag", "lrdiag.*"]),
    cmdclass={"build_py": BuildWithPluginAssets},
    install_requires=[
        "torch>=2.1",
        "numpy>=1.23",
        "scipy>=1.9",
        "tensorboard>=2.14",
        "matplotlib>=3.6",
        "plotly>=5.15",
        "tqdm>=4.60",
    ],
    extras_require=extras,
    entry_points={
        "console_scripts": ["lrdiag=lrdiag.cli:main"],
        "tensorboard_plugins": ["lrdiag=lrdiag.tensorboard_plugin:LRDiagPlugin"],
    },
)
