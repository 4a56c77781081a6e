// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {CollateralMonitor} from "../../../contracts/CollateralMonitor.sol";
import {PriceFeed} from "../../../contracts/PriceFeed.sol";
import {ICollateralMonitor} from "../../../contracts/interfaces/ICollateralMonitor.sol";
import {IParticipantRegistry} from "../../../contracts/interfaces/IParticipantRegistry.sol";
import {IPriceFeed} from "../../../contracts/interfaces/IPriceFeed.sol";
import {IWarehouseReceipts} from "../../../contracts/interfaces/IWarehouseReceipts.sol";
import {ReceiptsFixture} from "./ReceiptsFixture.sol";

/// @notice The receipts consortium plus three price publishers, the price feed with a copper feed
/// (CNY per t, 2 decimals, one day staleness bound, 10 % deviation bound; all three publishers
/// admitted) and the collateral monitor; helpers for copper lots in tonnes.
abstract contract ValuationFixture is ReceiptsFixture {
    PriceFeed internal feed;
    CollateralMonitor internal monitor;

    address internal pub1 = address(0x2001);
    address internal pub2 = address(0x2002);
    address internal pub3 = address(0x2003);

    uint32 internal constant MAX_AGE = 1 days;
    uint16 internal constant MAX_DEV = 1000;
    uint8 internal constant PRICE_DECIMALS = 2;
    uint8 internal constant TONNE_DECIMALS = 3;
    bytes12 internal constant SHFE = "SHFE-SETTLE";
    bytes32 internal constant CU_LOT = keccak256("QD-BONDED/CU-CATH/BATCH-0001");
    bytes32 internal constant CU_LOT2 = keccak256("QD-BONDED/CU-CATH/BATCH-0002");

    /// @dev 60,000.00 CNY per t, 48,000.00 CNY per t.
    int256 internal constant P60K = 6_000_000;
    int256 internal constant P48K = 4_800_000;
    /// @dev 5,000.000 t.
    uint64 internal constant Q5000T = 5_000_000;
    /// @dev 210,000,000.00 CNY.
    uint128 internal constant LOAN_210M = 21_000_000_000;

    function setUp() public virtual override {
        super.setUp();
        feed = new PriceFeed(IParticipantRegistry(address(registry)));
        monitor = new CollateralMonitor(
            IWarehouseReceipts(address(wr)), IPriceFeed(address(feed)), IParticipantRegistry(address(registry))
        );
        vm.startPrank(admin);
        _admit(pub1, IParticipantRegistry.Role.PricePublisher, "Exchange Data One");
        _admit(pub2, IParticipantRegistry.Role.PricePublisher, "Exchange Data Two");
        _admit(pub3, IParticipantRegistry.Role.PricePublisher, "Valuation Agent");
        feed.createFeed(CU, TONNE, CNY, PRICE_DECIMALS, MAX_AGE, MAX_DEV);
        feed.admitPublisher(CU, pub1);
        feed.admitPublisher(CU, pub2);
        feed.admitPublisher(CU, pub3);
        vm.stopPrank();
        vm.label(address(feed), "PriceFeed");
        vm.label(address(monitor), "CollateralMonitor");
    }

    // ------------------------------------------------------------ prices

    function _one(bytes16 commodity, int256 price, uint64 asOf) internal pure returns (IPriceFeed.PricePost[] memory p) {
        p = new IPriceFeed.PricePost[](1);
        p[0] = IPriceFeed.PricePost(commodity, TONNE, CNY, price, asOf, SHFE);
    }

    function _post(address publisher, int256 price) internal {
        vm.prank(publisher);
        feed.post(_one(CU, price, uint64(_now())));
    }

    /// @dev All three publishers post `price` now: the reference is `price`, fresh.
    function _postAll(int256 price) internal {
        _post(pub1, price);
        _post(pub2, price);
        _post(pub3, price);
    }

    // ------------------------------------------------------------ copper receipts and loans

    /// @dev Attests `lotId` as `quantity` (t, 3 decimals) of copper and issues it to `owner`.
    function _copper(address owner, bytes32 lotId, uint64 quantity) internal returns (uint256 id) {
        vm.prank(inspector);
        wr.recordStocktake(warehouse, lotId, CU, TONNE, TONNE_DECIMALS, quantity, EVIDENCE, new uint256[](0));
        vm.prank(warehouse);
        id = wr.mint(owner, lotId, CU, quantity, 0, DETAILS);
    }

    /// @dev 70 % advance, margin call above 80 %, liquidation above 85 %, 3-day cure window.
    function _terms() internal pure returns (ICollateralMonitor.Terms memory) {
        return ICollateralMonitor.Terms(7000, 8000, 8500, 3 days);
    }

    /// @dev Copper receipt of `quantity` pledged by the supplier to `lender`; loan of `amount` opened on it.
    function _loanOn(uint64 quantity, bytes32 lotId, uint128 amount) internal returns (uint256 loanId, uint256 id) {
        id = _copper(supplier, lotId, quantity);
        _pledge(supplier, id, lender);
        vm.prank(lender);
        loanId = monitor.openLoan(CU, CNY, LOAN, amount, _terms(), _ids(id));
    }

    /// @dev The demo loan: 5,000 t at 60,000 CNY/t, 210,000,000 CNY outstanding (70 % LTV).
    function _demoLoan() internal returns (uint256 loanId, uint256 id) {
        _postAll(P60K);
        return _loanOn(Q5000T, CU_LOT, LOAN_210M);
    }

    /// @dev Moves the reference to `price` now: two publishers confirm each other past the deviation guard.
    function _movePrice(int256 price) internal {
        _postAll(price);
    }
}
