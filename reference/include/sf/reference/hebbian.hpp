// Unsupervised neural learning in the float reference: a linear Hebbian layer trained with
// Oja's rule (one neuron finds the first principal component) or Sanger's generalised
// Hebbian algorithm (k neurons find the first k principal components, in order), the BCM
// rule (a neuron becomes selective to one input pattern), and Infomax ICA (Bell &
// Sejnowski 1995, with Amari's natural gradient) that unmixes linearly mixed sources.
// These are the networks of a neuroscience course that learn without labels; the Eigen
// helpers beside them (covariance eigenvectors, reconstruction error, the Amari index)
// are what the learned weights are checked against.
//
// Data come as a matrix with one sample per row (n x d). Every random choice (sample
// order, initial weights) comes from the seed.
#pragma once

#include <cstdint>

#include <Eigen/Dense>

namespace sf {

struct HebbianParams {
    double learning_rate = 1e-3;  // [1/sample] eta, decayed as eta / (1 + epoch * decay)
    double rate_decay = 0.5;      // [1/epoch]
    int epochs = 20;
    uint64_t seed = 1;
};

// Oja (1982): y = w.x, dw = eta * y * (x - y * w). Returns w (d), |w| -> 1, along the
// leading eigenvector of the covariance of centred data.
Eigen::VectorXd train_oja(const Eigen::MatrixXd& samples, const HebbianParams& p);

// Sanger (1989): y = W x, dW = eta * (y x^T - LT[y y^T] W), LT = lower triangle with the
// diagonal. Returns W (k x d): row i converges to the i-th eigenvector.
Eigen::MatrixXd train_sanger(const Eigen::MatrixXd& samples, int k, const HebbianParams& p);

// BCM (Bienenstock, Cooper & Munro 1982, in the form of Intrator & Cooper 1992):
// y = max(0, w.x), dw = eta * x * y * (y - theta), theta tracks E[y^2] with time constant
// tau_theta (in samples). With P equiprobable patterns the stable state answers one pattern
// with y = P and the others with 0.
struct BcmParams {
    double learning_rate = 5e-3;
    double tau_theta = 20.0;  // [samples]
    int steps = 20000;        // [samples presented]
    uint64_t seed = 1;
};
struct BcmResult {
    Eigen::VectorXd weights;
    double theta = 0.0;
};
BcmResult train_bcm(const Eigen::MatrixXd& patterns, const BcmParams& p);

// Infomax ICA with the logistic nonlinearity (for super-Gaussian sources), natural-gradient
// update per minibatch: dW = eta * (I + (1 - 2 g(u)) u^T / B) W, u = W z, on the whitened
// data z = V (x - mean). Returns the full unmixing matrix W V, so that W V x recovers the
// sources up to order, sign and scale.
struct IcaParams {
    double learning_rate = 0.02;
    int epochs = 60;
    int batch = 50;
    uint64_t seed = 1;
};
Eigen::MatrixXd infomax_ica(const Eigen::MatrixXd& samples, const IcaParams& p);

// --- references ---

// Rows of the result: the k leading eigenvectors of the sample covariance (descending).
Eigen::MatrixXd covariance_eigenvectors(const Eigen::MatrixXd& samples, int k);
// Eigenvalues of the sample covariance, descending.
Eigen::VectorXd covariance_eigenvalues(const Eigen::MatrixXd& samples);
// Samples minus their column means.
Eigen::MatrixXd centred(const Eigen::MatrixXd& samples);
// Mean squared reconstruction error per sample of centred data projected onto the row space
// of W (rows orthonormalised first): mean ||x - P x||^2.
double reconstruction_error(const Eigen::MatrixXd& samples, const Eigen::MatrixXd& w);
// Amari's performance index of P = W A (0 when P is a scaled permutation; Amari, Cichocki
// & Yang 1996), normalised to [0, 1] by dividing by 2 n (n - 1).
double amari_index(const Eigen::MatrixXd& p);

}  // namespace sf
