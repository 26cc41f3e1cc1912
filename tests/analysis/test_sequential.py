"""Group-sequential designs against rpact, published tables and closed forms.

The rpact references come from R 4.2.2 with rpact 3.3.4 (Debian's
r-cran-rpact 3.3.4-1), after ``library(rpact)``; each case shows the R call
that made it, and the numbers were printed with ``sprintf("%.15g", x)`` from
``d$criticalValues``, ``d$futilityBounds``, ``d$alphaSpent``,
``d$betaSpent``, ``d$stageLevels`` and, of ``ch``, ``shift``,
``inflationFactor``, ``averageSampleNumber0``, ``averageSampleNumber01``,
``averageSampleNumber1``, ``power`` and ``futilityProbabilities``. rpact
floors the last alpha spent to 1e-8 (hence 0.02499999) and solves its
bounds to a tolerance of 1e-8; the tests need no R.
"""

from __future__ import annotations

import math
import re
from typing import NamedTuple

import numpy as np
import pytest
from scipy import integrate, stats

from simulator.analysis.boundaries import crossings
from simulator.analysis.sequential import (SequentialDesign, conditional_power,
                                           group_sequential_design)
from simulator.analysis.spending import (hwang_shih_decani_spending, kim_demets_spending,
                                         obrien_fleming_spending, pocock_spending, spending)
from simulator.errors import ScenarioError

TOL = 1e-6  # the issue's acceptance: every number within 1e-6 of rpact's


class Case(NamedTuple):
    name: str
    kwargs: dict
    critical: tuple
    futility: tuple | None
    alpha_spent: tuple
    beta_spent: tuple | None
    stage_levels: tuple
    shift: float
    inflation: float
    asn: tuple
    power: tuple
    futility_h1: tuple


RPACT = [
    # d <- getDesignGroupSequential(kMax = 3, alpha = 0.025, beta = 0.2, sided = 1,
    #     typeOfDesign = "asOF")
    # ch <- getDesignCharacteristics(d)
    Case('of1_k3', dict(information_rates=3, alpha=0.025, beta=0.2, sided=1,
                  alpha_spending='asOF'),
         critical=(3.7103028732625, 2.51142748445272, 1.9930474832654),
         futility=None,
         alpha_spent=(0.000103505718147101, 0.00604838907727545, 0.02499999),
         beta_spent=None,
         stage_levels=(0.000103505718147101, 0.00601219937689612, 0.0231281239168987),
         shift=7.94930468022857,
         inflation=1.01279481267116,
         asn=(1.01071794262995, 0.982765599996744, 0.865568975227229),
         power=(0.018648776258497, 0.417448944443848, 0.8),
         futility_h1=(0, 0)),
    # d <- getDesignGroupSequential(kMax = 5, alpha = 0.025, beta = 0.2, sided = 1,
    #     typeOfDesign = "asOF")
    # ch <- getDesignCharacteristics(d)
    Case('of1_k5', dict(information_rates=5, alpha=0.025, beta=0.2, sided=1,
                  alpha_spending='asOF'),
         critical=(4.87688494879076, 3.35701192170382, 2.68028006702662, 2.28981677442789,
                   2.03103206306696),
         futility=None,
         alpha_spent=(5.38871262945051e-07, 0.000394151759088968, 0.00380806325073235,
                      0.0122117901912364, 0.02499999),
         beta_spent=None,
         stage_levels=(5.38871262945051e-07, 0.000393948576370873, 0.00367802928542982,
                       0.011015970169717, 0.0211258710892862),
         shift=8.04290318951524,
         inflation=1.02471989146643,
         asn=(1.02135582752866, 0.978648126668344, 0.82366273751954),
         power=(0.000153934858536875, 0.0589914649956107, 0.31649242463992, 0.605396864339034,
                0.8),
         futility_h1=(0, 0, 0, 0)),
    # d <- getDesignGroupSequential(kMax = 3, alpha = 0.05, beta = 0.1, sided = 2,
    #     typeOfDesign = "asOF", informationRates = c(0.4, 0.7, 1))
    # ch <- getDesignCharacteristics(d)
    Case('of2_k3', dict(information_rates=[0.4, 0.7, 1.0], alpha=0.05, beta=0.1, sided=2,
                  alpha_spending='asOF'),
         critical=(3.35686935609099, 2.44454228132963, 2.00053907185793),
         futility=None,
         alpha_spent=(0.000788303513382438, 0.0147689787059324, 0.04999999),
         beta_spent=None,
         stage_levels=(0.000394151756691219, 0.00725180396812342, 0.0227210426230131),
         shift=10.6566310501252,
         inflation=1.01420024565606,
         asn=(1.00946678582149, 0.968159337834672, 0.797563520361036),
         power=(0.098135262742638, 0.613876243909952, 0.899999999999999),
         futility_h1=(0, 0)),
    # d <- getDesignGroupSequential(kMax = 4, alpha = 0.05, beta = 0.1, sided = 2,
    #     typeOfDesign = "asP", informationRates = c(0.3, 0.5, 0.8, 1))
    # ch <- getDesignCharacteristics(d)
    Case('p2_k4', dict(information_rates=[0.3, 0.5, 0.8, 1.0], alpha=0.05, beta=0.1, sided=2,
                  alpha_spending='asP'),
         critical=(2.31183530380578, 2.39764530211687, 2.32729355245829, 2.36920344084501),
         futility=None,
         alpha_spent=(0.0207867610921815, 0.031005725269043, 0.0432419861573934, 0.05),
         beta_spent=None,
         stage_levels=(0.0103933805460907, 0.00825041751233202, 0.00997482335227118,
                       0.00891322241471426),
         shift=12.3915104373284,
         inflation=1.17931012817042,
         asn=(1.15323856839301, 1.03794746861986, 0.700094681213826),
         power=(0.350576126786633, 0.575049969995967, 0.818570666496515, 0.900000000024811),
         futility_h1=(0, 0, 0)),
    # d <- getDesignGroupSequential(kMax = 2, alpha = 0.025, beta = 0.2, sided = 1,
    #     typeOfDesign = "asKD", gammaA = 3, informationRates = c(0.6, 1))
    # ch <- getDesignCharacteristics(d)
    Case('kd1_k2', dict(information_rates=[0.6, 1.0], alpha=0.025, beta=0.2, sided=1,
                  alpha_spending='asKD', gamma_a=3.0),
         critical=(2.54910428370618, 1.9954890832305),
         futility=None,
         alpha_spent=(0.00539999999999996, 0.02499999),
         beta_spent=None,
         stage_levels=(0.00539999999999996, 0.0229947818123629),
         shift=7.96550820035457,
         inflation=1.01485924997616,
         asn=(1.01266715359571, 0.985349942974365, 0.869399857482399),
         power=(0.358324053548994, 0.8),
         futility_h1=(0,)),
    # d <- getDesignGroupSequential(kMax = 3, alpha = 0.05, beta = 0.2, sided = 2,
    #     typeOfDesign = "asHSD", gammaA = -4)
    # ch <- getDesignCharacteristics(d)
    Case('hsd2_k3', dict(information_rates=3, alpha=0.05, beta=0.2, sided=2,
                  alpha_spending='asHSD', gamma_a=-4.0),
         critical=(3.01073948538569, 2.54653055220842, 1.99922632426023),
         futility=None,
         alpha_spent=(0.00260612343239046, 0.012492890340786, 0.05),
         beta_spent=None,
         stage_levels=(0.00130306171619521, 0.00543998435506787, 0.0227919357792371),
         shift=7.97872543612984,
         inflation=1.01654321459565,
         asn=(1.01142694792958, 0.982599944174201, 0.848604581166439),
         power=(0.0838057782813117, 0.411807001724523, 0.8),
         futility_h1=(0, 0)),
    # d <- getDesignGroupSequential(kMax = 4, alpha = 0.025, beta = 0.2, sided = 1,
    #     typeOfDesign = "asUser", userAlphaSpending = c(0.001, 0.008, 0.016, 0.025))
    # ch <- getDesignCharacteristics(d)
    Case('user1_k4', dict(information_rates=4, alpha=0.025, beta=0.2, sided=1,
                  alpha_spending='asUser', user_alpha_spending=[0.001, 0.008, 0.016, 0.025]),
         critical=(3.09023230616781, 2.43386129289865, 2.26670079678297, 2.13425151258707),
         futility=None,
         alpha_spent=(0.001, 0.00800000001073953, 0.0159999999944942, 0.025),
         beta_spent=None,
         stage_levels=(0.001, 0.00746935924693215, 0.0117042548584886, 0.0164110990138673),
         shift=8.43099912064636,
         inflation=1.07416591997833,
         asn=(1.06745238140678, 1.00262224600947, 0.799021330510368),
         power=(0.0506667249646507, 0.355543255811444, 0.618378801199913, 0.80000000000001),
         futility_h1=(0, 0, 0)),
    # d <- getDesignGroupSequential(kMax = 3, alpha = 0.025, beta = 0.2, sided = 1,
    #     typeOfDesign = "asOF", typeBetaSpending = "bsOF", bindingFutility = FALSE)
    # ch <- getDesignCharacteristics(d)
    Case('of_bsof_nb_k3', dict(information_rates=3, alpha=0.025, beta=0.2, sided=1,
                  alpha_spending='asOF', beta_spending='bsOF', binding=False),
         critical=(3.7103028732625, 2.51142748445272, 1.9930474832654),
         futility=(-0.236144609880091, 1.17037203116342),
         alpha_spent=(0.000103505718147101, 0.00604838907727545, 0.02499999),
         beta_spent=(0.0264382947650095, 0.116514318956321, 0.199999998821898),
         stage_levels=(0.000103505718147101, 0.00601219937689612, 0.0231281239168987),
         shift=8.66778493209013,
         inflation=1.10433402287428,
         asn=(0.627409515076705, 0.834134871094387, 0.87520994677452),
         power=(0.0221880881303079, 0.457290749609332, 0.800000000000006),
         futility_h1=(0.0264382946891414, 0.0900760239300453)),
    # d <- getDesignGroupSequential(kMax = 3, alpha = 0.025, beta = 0.2, sided = 1,
    #     typeOfDesign = "asOF", typeBetaSpending = "bsOF", bindingFutility = TRUE)
    # ch <- getDesignCharacteristics(d)
    Case('of_bsof_b_k3', dict(information_rates=3, alpha=0.025, beta=0.2, sided=1,
                  alpha_spending='asOF', beta_spending='bsOF', binding=True),
         critical=(3.7103028732625, 2.5111084356904, 1.93091572076082),
         futility=(-0.270005563802686, 1.12248460715637),
         alpha_spent=(0.000103505718147101, 0.00604838907727545, 0.02499999),
         beta_spent=(0.0264382949418134, 0.1165143202092, 0.200000000075376),
         stage_levels=(0.000103505718147101, 0.00601763607579542, 0.026746737865658),
         shift=8.32588701261494,
         inflation=1.06077393136479,
         asn=(0.610695336626305, 0.807321350523086, 0.847936728754366),
         power=(0.0204579611635495, 0.438519382776245, 0.8),
         futility_h1=(0.0264382947201983, 0.0900760245042135)),
    # d <- getDesignGroupSequential(kMax = 4, alpha = 0.025, beta = 0.1, sided = 1,
    #     typeOfDesign = "asP", typeBetaSpending = "bsP", bindingFutility = TRUE,
    #     informationRates = c(0.25, 0.5, 0.8, 1))
    # ch <- getDesignCharacteristics(d)
    Case('p_bsp_b_k4', dict(information_rates=[0.25, 0.5, 0.8, 1.0], alpha=0.025, beta=0.1,
                  sided=1, alpha_spending='asP', beta_spending='bsP', binding=True),
         critical=(2.36832770352391, 2.36488255113363, 2.28922989219427, 2.21043223887682),
         futility=(0.0697684820671964, 0.903936397749931, 1.71504337852821),
         alpha_spent=(0.00893435048771973, 0.0155028628200927, 0.0216209930657649, 0.025),
         beta_spent=(0.0357374019508788, 0.0620114508197514, 0.0864839723422868,
                     0.100000000145935),
         stage_levels=(0.00893435048771973, 0.00901789480570958, 0.0110329993295056,
                       0.0135375892136552),
         shift=14.0207920733662,
         inflation=1.33437018680809,
         asn=(0.553197313033406, 0.792698234291964, 0.689380394582012),
         power=(0.30990829745671, 0.635477045389721, 0.852058455173403, 0.900000000000067),
         futility_h1=(0.0357374018186168, 0.0262740487390934, 0.0244725213790436)),
    # d <- getDesignGroupSequential(kMax = 5, alpha = 0.025, beta = 0.2, sided = 1,
    #     typeOfDesign = "asKD", gammaA = 2, typeBetaSpending = "bsKD", gammaB = 2,
    #     bindingFutility = FALSE)
    # ch <- getDesignCharacteristics(d)
    Case('kd_bskd_nb_k5', dict(information_rates=5, alpha=0.025, beta=0.2, sided=1,
                  alpha_spending='asKD', gamma_a=2.0, beta_spending='bsKD', gamma_b=2.0,
                  binding=False),
         critical=(3.09023230616781, 2.71411157399416, 2.47277721017599, 2.27986339479685,
                   2.11402835696936),
         futility=(-1.07510891058262, -0.0231783012859523, 0.757964502554387, 1.42915292782709),
         alpha_spent=(0.001, 0.00399999999340239, 0.00899999991609568, 0.0160000000169654,
                      0.025),
         beta_spent=(0.00800000004901366, 0.0320000004951904, 0.0720000009067412,
                     0.128000000476763, 0.200000001858444),
         stage_levels=(0.001, 0.00332268901432164, 0.00670338460037379, 0.0113078958400505,
                       0.0172564227082839),
         shift=8.89520068021166,
         inflation=1.13330831676316,
         asn=(0.591437449504067, 0.79419939260614, 0.767825263369433),
         power=(0.039507876238206, 0.210832570820334, 0.452965528210243, 0.669154851440001,
                0.800000000029111),
         futility_h1=(0.00800000003409062, 0.0240000003940479, 0.040000000322872,
                      0.0559999994517624)),
    # d <- getDesignGroupSequential(kMax = 3, alpha = 0.025, beta = 0.15, sided = 1,
    #     typeOfDesign = "asHSD", gammaA = -2, typeBetaSpending = "bsHSD", gammaB = -2,
    #     bindingFutility = TRUE, informationRates = c(0.35, 0.7, 1))
    # ch <- getDesignCharacteristics(d)
    Case('hsd_bshsd_b_k3', dict(information_rates=[0.35, 0.7, 1.0], alpha=0.025, beta=0.15,
                  sided=1, alpha_spending='asHSD', gamma_a=-2.0, beta_spending='bsHSD',
                  gamma_b=-2.0, binding=True),
         critical=(2.65488652139022, 2.34716553241014, 2.03187761455774),
         futility=(-0.140121343731069, 1.06018540868536),
         alpha_spent=(0.00396675460260931, 0.011954817484222, 0.02499999),
         beta_spent=(0.0238005276156556, 0.0717289047546433, 0.150000000071506),
         stage_levels=(0.00396675460260931, 0.00945842425998733, 0.0210830236344954),
         shift=9.68146609158953,
         inflation=1.07830672346089,
         asn=(0.626304903164213, 0.820073075036054, 0.769795932821901),
         power=(0.207795242208721, 0.611765069277392, 0.849999999999998),
         futility_h1=(0.023800527506366, 0.0479283768858454)),
    # d <- getDesignGroupSequential(kMax = 4, alpha = 0.025, beta = 0.2, sided = 1,
    #     typeOfDesign = "asOF", typeBetaSpending = "bsUser", userBetaSpending = c(0.02, 0.06,
    #     0.12, 0.2), bindingFutility = FALSE)
    # ch <- getDesignCharacteristics(d)
    Case('of_bsuser_nb_k4', dict(information_rates=4, alpha=0.025, beta=0.2, sided=1,
                  alpha_spending='asOF', beta_spending='bsUser', user_beta_spending=[0.02, 0.06,
                  0.12, 0.2], binding=False),
         critical=(4.33263364604956, 2.96313159912825, 2.35904427617788, 2.01409014314413),
         futility=(-0.584002189068449, 0.440747268032283, 1.26014396315441),
         alpha_spent=(7.36680843593795e-06, 0.00152532275747064, 0.00964932511918348, 0.025),
         beta_spent=(0.0199999998554085, 0.0599999994637887, 0.119999998802746,
                     0.199999997796101),
         stage_levels=(7.36680843593795e-06, 0.00152263172298994, 0.00916103478590991,
                       0.022000035106172),
         shift=8.64062172261921,
         inflation=1.10087324752923,
         asn=(0.583582173729046, 0.804266674801138, 0.834969971716934),
         power=(0.00209900176146827, 0.188251137161797, 0.575803872867257, 0.800000000000007),
         futility_h1=(0.0199999999158546, 0.0399999997497189, 0.0599999995502688)),
    # d <- getDesignGroupSequential(kMax = 5, alpha = 0.05, beta = 0.2, sided = 2,
    #     typeOfDesign = "OF")
    # ch <- getDesignCharacteristics(d)
    Case('wt_of2_k5', dict(information_rates=5, alpha=0.05, beta=0.2, sided=2,
                  alpha_spending='OF'),
         critical=(4.5617422988814, 3.22563891356455, 2.63372314423288, 2.2808711494407,
                   2.040073175227),
         futility=None,
         alpha_spent=(5.0730888361484e-06, 0.00125905981762185, 0.00890361245897819,
                      0.0255845986473041, 0.04999999),
         beta_spent=None,
         stage_levels=(2.53654441806361e-06, 0.000628459115547764, 0.00422271602535984,
                       0.011278036305425, 0.0206715190053288),
         shift=8.07187401642874,
         inflation=1.02841096941564,
         asn=(1.02105734886264, 0.979291110235482, 0.817569547861691),
         power=(0.000498872540300566, 0.0765693546340974, 0.335804922051372, 0.612207733058859,
                0.8),
         futility_h1=(0, 0, 0, 0)),
    # d <- getDesignGroupSequential(kMax = 5, alpha = 0.05, beta = 0.2, sided = 2,
    #     typeOfDesign = "P")
    # ch <- getDesignCharacteristics(d)
    Case('wt_p2_k5', dict(information_rates=5, alpha=0.05, beta=0.2, sided=2,
                  alpha_spending='P'),
         critical=(2.41317622018418, 2.41317622018418, 2.41317622018418, 2.41317622018418,
                   2.41317622018418),
         futility=None,
         alpha_spent=(0.0158141715581855, 0.027525976476677, 0.0365446445632371,
                      0.0438548312571162, 0.05),
         beta_spent=None,
         stage_levels=(0.00790708577909272, 0.00790708577909272, 0.00790708577909272,
                       0.00790708577909272, 0.00790708577909272),
         shift=9.64307564006146,
         inflation=1.22859261021167,
         asn=(1.1981874927199, 1.10427638843652, 0.79905509945949),
         power=(0.152816029504676, 0.357678737481318, 0.544742489099521, 0.692548156803549,
                0.799999999972647),
         futility_h1=(0, 0, 0, 0)),
    # d <- getDesignGroupSequential(kMax = 3, alpha = 0.025, beta = 0.2, sided = 1,
    #     typeOfDesign = "WT", deltaWT = 0.25, informationRates = c(0.3, 0.6, 1))
    # ch <- getDesignCharacteristics(d)
    Case('wt_d025_1_k3', dict(information_rates=[0.3, 0.6, 1.0], alpha=0.025, beta=0.2, sided=1,
                  alpha_spending='WT', delta_wt=0.25),
         critical=(2.80030614957929, 2.35476740279416, 2.07245842861763),
         futility=None,
         alpha_spent=(0.00255270805665142, 0.0107744610877358, 0.02499999),
         beta_spent=None,
         stage_levels=(0.00255270805665142, 0.0092671515328322, 0.0191113546349266),
         shift=8.26064120923555,
         inflation=1.05246117775056,
         asn=(1.04711930797217, 0.997807047890471, 0.82515375211686),
         power=(0.110084548156649, 0.457379128572843, 0.8),
         futility_h1=(0, 0)),
    # d <- getDesignGroupSequential(kMax = 3, alpha = 0.025, beta = 0.2, sided = 1,
    #     typeOfDesign = "asOF", futilityBounds = c(0, 0.5), bindingFutility = TRUE)
    # ch <- getDesignCharacteristics(d)
    Case('of_fixfut_b_k3', dict(information_rates=3, alpha=0.025, beta=0.2, sided=1,
                  alpha_spending='asOF', futility_bounds=[0.0, 0.5], binding=True),
         critical=(3.7103028732625, 2.51035810261965, 1.96495195478201),
         futility=(0, 0.5),
         alpha_spent=(0.000103505718147101, 0.00604838911376021, 0.02499999),
         beta_spent=None,
         stage_levels=(0.000103505718147101, 0.00603043918462931, 0.0247098992947827),
         shift=8.20318852071019,
         inflation=1.045141319316,
         asn=(0.611333819599751, 0.829511388316964, 0.847439499417247),
         power=(0.0198574545754684, 0.431475262857927, 0.8),
         futility_h1=(0.0491043075712602, 0.0179469570310937)),
    # d <- getDesignGroupSequential(kMax = 3, alpha = 0.025, beta = 0.2, sided = 1,
    #     typeOfDesign = "asOF", futilityBounds = c(0, 0.5), bindingFutility = FALSE)
    # ch <- getDesignCharacteristics(d)
    Case('of_fixfut_nb_k3', dict(information_rates=3, alpha=0.025, beta=0.2, sided=1,
                  alpha_spending='asOF', futility_bounds=[0.0, 0.5], binding=False),
         critical=(3.7103028732625, 2.51142748445272, 1.9930474832654),
         futility=(0, 0.5),
         alpha_spent=(0.000103505718147101, 0.00604838907727545, 0.02499999),
         beta_spent=None,
         stage_levels=(0.000103505718147101, 0.00601219937689612, 0.0231281239168987),
         shift=8.3384263097061,
         inflation=1.06237152204213,
         asn=(0.62141867085641, 0.844477768171455, 0.859873392658025),
         power=(0.0205199345362002, 0.43860990041944, 0.8),
         futility_h1=(0.0477397180313978, 0.0172192988820232)),
    # d <- getDesignGroupSequential(kMax = 3, alpha = 0.025, beta = 0.2, sided = 1,
    #     typeOfDesign = "asUser", userAlphaSpending = c(0, 0.01, 0.025))
    # ch <- getDesignCharacteristics(d)
    Case('user_noearly_k3', dict(information_rates=3, alpha=0.025, beta=0.2, sided=1,
                  alpha_spending='asUser', user_alpha_spending=[0.0, 0.01, 0.025]),
         critical=(math.inf, 2.32634788006544, 2.03710971027613),
         futility=None,
         alpha_spent=(6.66133814775094e-16, 0.00999999993549161, 0.025),
         beta_spent=None,
         stage_levels=(0, 0.00999999983943145, 0.0208195245209204),
         shift=8.09369904855858,
         inflation=1.03119162511028,
         asn=(1.02775431872466, 0.989246616127323, 0.859801074517165),
         power=(0, 0.498618912135002, 0.8),
         futility_h1=(0, 0)),
    # d <- getDesignGroupSequential(kMax = 2, alpha = 0.025, beta = 0.2, sided = 1,
    #     typeOfDesign = "P", futilityBounds = c(0.2), bindingFutility = TRUE,
    #     informationRates = c(0.5, 1))
    # ch <- getDesignCharacteristics(d)
    Case('p_fixfut_b_k2', dict(information_rates=[0.5, 1.0], alpha=0.025, beta=0.2, sided=1,
                  alpha_spending='P', futility_bounds=[0.2], binding=True),
         critical=(2.17453749652078, 2.17453749652078),
         futility=(0.2,),
         alpha_spent=(0.0148323962862518, 0.02499999),
         beta_spent=None,
         stage_levels=(0.0148323962862518, 0.0148323962862518),
         shift=8.77696806753407,
         inflation=1.11824468772574,
         asn=(0.78607451710215, 0.934726255665806, 0.840189812121541),
         power=(0.468251208432306, 0.800000000000005),
         futility_h1=(0.0290547544865943,)),
]


@pytest.mark.parametrize("case", RPACT, ids=[c.name for c in RPACT])
def test_bounds_and_characteristics_match_rpact(case):
    d = group_sequential_design(**case.kwargs)
    assert d.critical_values == pytest.approx(case.critical, abs=TOL)
    if case.futility is None:
        assert np.all(d.futility_bounds == -np.inf)
    else:
        assert d.futility_bounds == pytest.approx(case.futility, abs=TOL)
    assert d.alpha_spent == pytest.approx(case.alpha_spent, abs=TOL)
    if case.beta_spent is not None:
        assert d.beta_spent == pytest.approx(case.beta_spent, abs=TOL)
    assert d.nominal_p / d.sided == pytest.approx(case.stage_levels, abs=TOL)
    assert d.max_information == pytest.approx(case.shift, abs=TOL)
    assert d.inflation_factor == pytest.approx(case.inflation, abs=TOL)
    asn = (d.expected_information_h0, d.expected_information_h01, d.expected_information_h1)
    assert asn == pytest.approx(case.asn, abs=TOL)
    assert d.power == pytest.approx(case.power, abs=TOL)
    assert d.stopping_probabilities.futility_h1 == pytest.approx(case.futility_h1, abs=TOL)


def test_the_rpact_cases_cover_the_issue():
    """12+ designs: K = 2..5, one- and two-sided, every family, (non-)binding futility."""
    kw = [c.kwargs for c in RPACT]
    assert len(RPACT) >= 12
    assert {len(d.critical) for d in RPACT} == {2, 3, 4, 5}
    assert {k["sided"] for k in kw} == {1, 2}
    assert {k["alpha_spending"] for k in kw} >= {"asOF", "asP", "asKD", "asHSD", "asUser",
                                                  "OF", "P", "WT"}
    assert {k.get("beta_spending") for k in kw} >= {"bsOF", "bsP", "bsKD", "bsHSD", "bsUser"}
    spent = [k for k in kw if "beta_spending" in k]
    assert {k["binding"] for k in spent} == {True, False}


# --- spending functions against their formulas -----------------------------------------

T = np.array([0.1, 0.3, 0.5, 0.8, 1.0])


def test_obrien_fleming_spending_formula():
    one = 2.0 - 2.0 * stats.norm.cdf(stats.norm.ppf(1 - 0.025 / 2) / np.sqrt(T))
    assert obrien_fleming_spending(T, 0.025) == pytest.approx(one, abs=1e-15)
    per_side = 2.0 - 2.0 * stats.norm.cdf(stats.norm.ppf(1 - 0.05 / 4) / np.sqrt(T))
    assert obrien_fleming_spending(T, 0.05, sided=2) == pytest.approx(2 * per_side, abs=1e-15)
    assert spending("asOF", T, 0.05, sided=2)[-1] == pytest.approx(0.05, abs=1e-15)
    # beta spending is one-sided whatever the test: bsOF is asOF's one-sided formula
    assert spending("bsOF", T, 0.2, sided=2) == pytest.approx(
        2.0 - 2.0 * stats.norm.cdf(stats.norm.ppf(0.9) / np.sqrt(T)), abs=1e-15)


def test_pocock_kim_demets_and_hsd_spending_formulas():
    assert pocock_spending(T, 0.025) == pytest.approx(0.025 * np.log(1 + (math.e - 1) * T),
                                                      abs=1e-16)
    assert kim_demets_spending(T, 0.025, 3.0) == pytest.approx(0.025 * T**3, abs=1e-16)
    hsd = 0.025 * (1 - np.exp(4.0 * T)) / (1 - np.exp(4.0))
    assert hwang_shih_decani_spending(T, 0.025, -4.0) == pytest.approx(hsd, abs=1e-16)
    assert hwang_shih_decani_spending(T, 0.025, 0.0) == pytest.approx(0.025 * T, abs=1e-16)
    assert hwang_shih_decani_spending(T, 0.025, 1e-9) == pytest.approx(0.025 * T, abs=1e-10)
    assert spending("asUser", [0.5, 1.0], 0.025, user=[0.01, 0.025]).tolist() == [0.01, 0.025]
    for family, gamma in [("asOF", None), ("asP", None), ("asKD", 2.0), ("asHSD", 2.0)]:
        values = spending(family, T, 0.025, gamma=gamma)
        assert np.all(np.diff(values) > 0) and values[-1] == pytest.approx(0.025, abs=1e-15)


@pytest.mark.parametrize("call, name", [
    (lambda: spending("asOF", [0.0, 1.0], 0.025), "information fraction"),
    (lambda: spending("asOF", [0.5, 1.2], 0.025), "information fraction"),
    (lambda: spending("asOF", [1.0], 1.5), "total"),
    (lambda: spending("asXY", [1.0], 0.025), "spending family"),
    (lambda: spending("asKD", [1.0], 0.025), "gamma"),
    (lambda: kim_demets_spending([1.0], 0.025, -1.0), "gamma"),
    (lambda: spending("asUser", [0.5, 1.0], 0.025, user=[0.01]), "user_alpha_spending"),
    (lambda: spending("bsUser", [0.5, 1.0], 0.2, user=[0.1, 0.3]), "user_beta_spending"),
])
def test_spending_errors_name_the_parameter(call, name):
    with pytest.raises(ScenarioError, match=name):
        call()


# --- Wang-Tsiatis constants against Jennison & Turnbull's tables ------------------------

# Jennison & Turnbull (2000), Table 2.1 (Pocock C_P) and Table 2.3 (O'Brien-Fleming C_B),
# two-sided tests with equally spaced looks, 3 decimals.
JT_TABLES = [
    ("P", 0.05, [1.960, 2.178, 2.289, 2.361, 2.413]),
    ("P", 0.01, [2.576, 2.772, 2.873, 2.939, 2.986]),
    ("OF", 0.05, [1.960, 1.977, 2.004, 2.024, 2.040]),
    ("OF", 0.01, [2.576, 2.580, 2.595, 2.609, 2.621]),
]


@pytest.mark.parametrize("family, alpha, constants", JT_TABLES)
def test_wang_tsiatis_constants_match_jennison_turnbull(family, alpha, constants):
    for k, c in enumerate(constants, start=1):
        d = group_sequential_design(k, alpha=alpha, sided=2, alpha_spending=family)
        assert d.critical_values[-1] == pytest.approx(c, abs=5e-4)
        assert d.alpha_spent[-1] == pytest.approx(alpha, abs=1e-10)
        if family == "P":
            assert np.ptp(d.critical_values) < 1e-12


def test_wang_tsiatis_delta_gives_its_shape():
    d = group_sequential_design([0.3, 0.6, 1.0], alpha_spending="WT", delta_wt=0.25)
    shape = np.array([0.3, 0.6, 1.0]) ** -0.25
    assert d.critical_values / shape == pytest.approx(d.critical_values[-1], abs=1e-12)


# --- limits, monotonicity and convergence -------------------------------------------------

@pytest.mark.parametrize("family", ["asOF", "asP", "OF", "P"])
@pytest.mark.parametrize("sided, alpha", [(1, 0.025), (2, 0.05)])
def test_one_look_is_the_fixed_design(family, sided, alpha):
    d = group_sequential_design(1, alpha=alpha, beta=0.1, sided=sided, alpha_spending=family)
    assert d.critical_values[0] == pytest.approx(stats.norm.ppf(1 - alpha / sided), abs=1e-9)
    assert d.inflation_factor == pytest.approx(1.0, abs=1e-9)
    assert d.expected_information_h1 == pytest.approx(1.0, abs=1e-9)
    assert d.power[0] == pytest.approx(0.9, abs=1e-9)
    assert d.drift == pytest.approx(stats.norm.ppf(1 - alpha / sided) + stats.norm.ppf(0.9),
                                    abs=1e-9)


def test_bounds_and_spending_are_monotone():
    d = group_sequential_design(5, alpha_spending="asOF", beta_spending="bsOF")
    assert np.all(np.diff(d.critical_values) < 0)
    assert np.all(np.diff(d.futility_bounds) > 0)
    assert np.all(np.diff(d.alpha_spent) > 0) and np.all(np.diff(d.beta_spent) > 0)
    assert np.all(np.diff(d.power) > 0) and d.power[-1] == pytest.approx(0.8, abs=1e-9)
    assert d.beta_spent[-1] == pytest.approx(0.2, abs=1e-9)
    assert np.all(d.futility_bounds < d.critical_values[:-1])
    # more looks cost more maximum information; a larger alpha lowers every bound
    inflation = [group_sequential_design(k, alpha_spending="P").inflation_factor
                 for k in range(1, 6)]
    assert np.all(np.diff(inflation) > 0)
    lower = group_sequential_design(5, alpha=0.05, alpha_spending="asOF")
    assert np.all(lower.critical_values < d.critical_values)


def test_binding_futility_lowers_the_efficacy_bounds_and_the_information():
    kw = dict(information_rates=4, alpha_spending="asP", beta_spending="bsP")
    free = group_sequential_design(**kw, binding=False)
    bound = group_sequential_design(**kw, binding=True)
    assert np.all(bound.critical_values[1:] < free.critical_values[1:])
    assert bound.critical_values[0] == pytest.approx(free.critical_values[0], abs=1e-12)
    assert bound.inflation_factor < free.inflation_factor
    assert bound.alpha_spent[-1] == pytest.approx(0.025, abs=1e-10)
    # non-binding: with the futility stops counted, less than alpha is spent
    assert free.stopping_probabilities.efficacy_h0.sum() < 0.025


@pytest.mark.parametrize("theta", [0.0, 1.5, 3.0])
def test_the_recursion_matches_the_multivariate_normal(theta):
    """P(Z_1 < c_1, ..., Z_K < c_K): the recursion against scipy's Genz integration."""
    t, c = np.array([0.3, 0.6, 1.0]), np.array([2.8, 2.3, 2.0])
    cov = np.sqrt(np.minimum.outer(t, t) / np.maximum.outer(t, t))
    law = stats.multivariate_normal(mean=theta * np.sqrt(t), cov=cov, abseps=1e-9,
                                    releps=1e-9, maxpts=10**6)
    passed = crossings(t, c, [-np.inf, -np.inf, c[-1]], theta, 32)
    assert 1.0 - passed.above.sum() == pytest.approx(law.cdf(c), abs=1e-7)
    assert passed.below[-1] == pytest.approx(law.cdf(c), abs=1e-7)


def test_the_grid_converges_when_doubled():
    """J&T's r: the error of Simpson's rule falls about 16-fold per doubling."""
    kw = dict(information_rates=5, alpha_spending="asOF", beta_spending="bsOF")
    bounds = {r: group_sequential_design(**kw, grid_points=r) for r in (16, 32, 64)}
    fine = np.concatenate([bounds[64].critical_values, bounds[64].futility_bounds])
    err = {r: np.abs(np.concatenate([bounds[r].critical_values, bounds[r].futility_bounds])
                     - fine).max() for r in (16, 32)}
    assert err[32] < 2e-7
    assert 4 * err[32] < err[16] < 2e-6


def test_results_are_cached_and_read_only():
    a = group_sequential_design(3, alpha_spending="asKD", gamma_a=2)
    assert group_sequential_design(3, alpha_spending="asKD", gamma_a=2.0) is a
    with pytest.raises(ValueError):
        a.critical_values[0] = 0.0
    assert isinstance(a, SequentialDesign) and a.kmax == 3
    assert a.expected_fraction_h1 == pytest.approx(a.expected_information_h1
                                                   / a.inflation_factor)


# --- conditional power --------------------------------------------------------------------

def test_conditional_power_two_looks_closed_form():
    d = group_sequential_design(2, alpha_spending="asOF")
    z, t, c2 = 1.3, 0.5, d.critical_values[1]
    for theta in (0.0, 1.7, d.drift):
        # Z_2 = (z sqrt t + W) with W ~ N(theta (1 - t), 1 - t)
        expected = stats.norm.sf((c2 - z * math.sqrt(t) - theta * (1 - t)) / math.sqrt(1 - t))
        assert conditional_power(z, t, d, theta=theta) == pytest.approx(expected, abs=1e-12)
    assert conditional_power(z, t, d) == conditional_power(z, t, d, theta=d.drift)
    assert conditional_power(z, t, d, theta="trend") == pytest.approx(
        conditional_power(z, t, d, theta=z / math.sqrt(t)), abs=1e-15)


def test_conditional_power_averages_to_the_power_after_the_first_look():
    """E[CP(Z_1)] over the trials that continue is the power from look 2 on."""
    d = group_sequential_design([0.3, 0.6, 1.0], alpha_spending="asHSD", gamma_a=-4,
                                beta_spending="bsHSD", gamma_b=-4, binding=True)
    t1, c1, f1 = 0.3, d.critical_values[0], d.futility_bounds[0]
    mean = d.drift * math.sqrt(t1)
    total, _ = integrate.quad(lambda z: conditional_power(z, t1, d) * stats.norm.pdf(z - mean),
                              f1, c1, epsabs=1e-11, epsrel=1e-11)
    assert total == pytest.approx(d.power[-1] - d.power[0], abs=1e-7)


def _first_upper_crossing(z, t, theta, rates, c):
    """P(the first crossing after t is an upper one | Z(t) = z), two-sided bounds -+c: the
    looks' Z given B(t) = z sqrt(t) are normal with means (z sqrt(t) + theta (t_i - t)) /
    sqrt(t_i) and covariances (min(t_i, t_j) - t) / sqrt(t_i t_j); each look's term is
    a multivariate normal rectangle (scipy's Genz integration)."""
    later = rates > t
    ti, ci = rates[later], c[later]
    mean = (z * math.sqrt(t) + theta * (ti - t)) / np.sqrt(ti)
    cov = (np.minimum.outer(ti, ti) - t) / np.sqrt(np.outer(ti, ti))
    total = stats.norm.sf((ci[0] - mean[0]) / math.sqrt(cov[0, 0]))
    for j in range(1, ti.size):
        total += stats.multivariate_normal.cdf(
            np.r_[ci[:j], np.inf], mean=mean[:j + 1], cov=cov[:j + 1, :j + 1],
            lower_limit=np.r_[-ci[:j], ci[j]], abseps=1e-10, releps=1e-10, maxpts=10**7)
    return total


def test_conditional_power_between_looks_and_errors():
    d = group_sequential_design(3, alpha=0.05, sided=2, alpha_spending="asP")
    rates, c = np.asarray(d.information_rates), np.asarray(d.critical_values)
    for t in (0.2, 0.5, 0.7):  # before the first look, between looks, before the last
        for theta in (0.0, 2.0, 3.5):
            assert conditional_power(1.0, t, d, theta=theta) == pytest.approx(
                _first_upper_crossing(1.0, t, theta, rates, c), abs=1e-7)
    early, late = (conditional_power(1.0, t, d, theta=2.0) for t in (0.2, 0.5))
    assert 0.0 < late < early < 1.0  # the same z later is weaker evidence with less time left
    # just before a look the density of Z there is narrow: the grid follows its SD (it
    # once gave 1.65 at t = 0.5 - 1e-8 of a 2-look design)
    first = rates[0]
    for t in (first - 1e-4, first - 1e-8, rates[1] - 1e-8):
        for z in (1.0, 2.3):
            assert conditional_power(z, t, d, theta=2.0) == pytest.approx(
                _first_upper_crossing(z, t, 2.0, rates, c), abs=1e-7)
    with pytest.raises(ScenarioError, match="t = 1.0"):
        conditional_power(1.0, 1.0, d)
    with pytest.raises(ScenarioError, match="theta"):
        conditional_power(1.0, 0.5, d, theta="H1")
    with pytest.raises(ScenarioError, match="z = nan"):
        conditional_power(float("nan"), 0.5, d)
    with pytest.raises(ScenarioError, match="design"):
        conditional_power(1.0, 0.5, {"critical_values": [2.0]})


# --- validation ---------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, name", [
    (dict(information_rates=[0.5, 0.4, 1.0]), "information_rates"),
    (dict(information_rates=[0.5, 0.9]), "information_rates"),
    (dict(information_rates=0), "information_rates"),
    (dict(information_rates=21), "information_rates"),
    (dict(information_rates="three"), "information_rates"),
    (dict(alpha=0.0), "alpha = 0.0"),
    (dict(alpha=0.6), "alpha = 0.6"),
    (dict(beta=1.2), "beta = 1.2"),
    (dict(sided=3), "sided = 3"),
    (dict(alpha_spending="asXY"), "alpha_spending = 'asXY'"),
    (dict(alpha_spending="asKD"), "gamma_a = (missing)"),
    (dict(alpha_spending="asKD", gamma_a=-1.0), "gamma_a = -1.0"),
    (dict(alpha_spending="asHSD", gamma_a=math.inf), "gamma_a = inf"),
    (dict(alpha_spending="WT"), "delta_wt = (missing)"),
    (dict(alpha_spending="WT", delta_wt=2.0), "delta_wt = 2.0"),
    (dict(alpha_spending="asUser"), "user_alpha_spending = (missing)"),
    (dict(alpha_spending="asUser", user_alpha_spending=[0.01, 0.005, 0.025]),
     "user_alpha_spending"),
    (dict(alpha_spending="asUser", user_alpha_spending=[0.01, 0.02, 0.03]),
     "user_alpha_spending"),
    (dict(beta_spending="bsXY"), "beta_spending = 'bsXY'"),
    (dict(beta_spending="bsOF", sided=2, alpha=0.05), "beta_spending"),
    (dict(beta_spending="bsOF", alpha_spending="OF"), "beta_spending"),
    (dict(beta_spending="bsKD"), "gamma_b = (missing)"),
    (dict(beta_spending="bsUser", user_beta_spending=[0.05, 0.1, 0.3]), "user_beta_spending"),
    (dict(futility_bounds=[0.0]), "futility_bounds"),
    (dict(futility_bounds=[0.0, 0.5], sided=2, alpha=0.05), "futility_bounds"),
    (dict(futility_bounds=[0.0, 0.5], beta_spending="bsOF"), "futility_bounds"),
    (dict(futility_bounds=[4.0, 0.5]), "futility_bounds"),
    (dict(futility_bounds=[1.5, 1.9], binding=True), "futility_bounds = [1.5, 1.9]: binding"),
    (dict(binding="yes"), "binding = 'yes'"),
    (dict(grid_points=4), "grid_points = 4"),
])
def test_design_errors_name_the_parameter(kwargs, name):
    kwargs = {"information_rates": 3, **kwargs}
    with pytest.raises(ScenarioError, match=re.escape(name)):
        group_sequential_design(**kwargs)
